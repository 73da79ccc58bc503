import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../../core/audit/audit-log.ts';
import { withTenant } from '../../../core/db/tenant-scope.ts';
import { enqueueJob } from '../../../core/jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobProcessors, type JobRunner } from '../../../core/jobs/job-runner.ts';
import { findJob, markFailed } from '../../../core/jobs/job-store.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { createTestRunner, queueBackends, waitFor } from '../../support/job-runners.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const combinations = storageBackends.flatMap((storage) => queueBackends.map((queue) => [storage, queue] as const));

describe.each(combinations)('jobs on %s with the %s runner', (storage, queue) => {
  let t: TestDatabase;
  let tenant: Tenant;
  const runners: JobRunner[] = [];
  const start = async (processors: JobProcessors, options: { prefix?: string; abandonedAfterMs?: number; leaseMs?: number } = {}) => {
    const runner = createTestRunner(queue, t.db, processors, options);
    runners.push(runner);
    await runner.start();
    return runner;
  };
  const enqueue = (name: string, payload: unknown, maxAttempts = 3) =>
    withTenant(t.db, tenant.id, (trx) => enqueueJob(trx, name, payload, { maxAttempts }));
  const settled = (id: string) =>
    waitFor(async () => {
      const job = await findJob(t.db, id);
      return job && (job.status === 'completed' || job.status === 'failed') ? job : undefined;
    }, `job ${id} to finish`);

  beforeEach(async () => {
    t = await openTestDatabase(storage);
    tenant = await ensureTenant(t.db, 'brand');
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await t.dispose();
  });

  it('runs a committed job with its payload, inside its tenant', async () => {
    await start({
      'note.write': async (job) => {
        await job.inTenant((trx) => recordAuditEvent(trx, { actor: `job:${job.id}`, action: 'note.written', targetType: 'note', details: job.payload as Record<string, unknown> }));
      },
    });
    const id = await enqueue('note.write', { text: 'hello' });
    const job = await settled(id);
    expect(job).toMatchObject({ status: 'completed', attempts: 1, last_error: null });
    const events = await withTenant(t.db, tenant.id, (trx) => trx.selectFrom('audit_events').selectAll().execute());
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: `job:${id}`, details: { text: 'hello' } });
  });

  it('never runs a job whose transaction rolled back (outbox)', async () => {
    const ran: string[] = [];
    await start({ mark: async (job) => void ran.push(job.payload as string) });
    await expect(
      withTenant(t.db, tenant.id, async (trx) => {
        await enqueueJob(trx, 'mark', 'rolled back');
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const committed = await enqueue('mark', 'committed');
    await settled(committed);
    expect(ran).toEqual(['committed']);
    expect(await t.db.selectFrom('jobs').select('id').execute()).toHaveLength(1);
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    await start({
      flaky: async (job) => {
        if (job.attempt < 3) throw new Error(`temporary failure ${job.attempt}`);
      },
    });
    const job = await settled(await enqueue('flaky', null, 5));
    expect(job).toMatchObject({ status: 'completed', attempts: 3 });
  });

  it('fails at once on an unrecoverable error and keeps the reason', async () => {
    let calls = 0;
    await start({
      bad: async () => {
        calls += 1;
        throw new UnrecoverableJobError('payload names an unknown segment');
      },
    });
    const job = await settled(await enqueue('bad', null, 5));
    expect(job).toMatchObject({ status: 'failed', attempts: 1, last_error: 'payload names an unknown segment' });
    expect(calls).toBe(1);
  });

  it('gives up after max attempts, and fails jobs nobody can process', async () => {
    await start({ broken: async () => Promise.reject(new Error('still broken')) });
    const broken = await settled(await enqueue('broken', null, 2));
    expect(broken).toMatchObject({ status: 'failed', attempts: 2, last_error: 'still broken' });
    const unknown = await settled(await enqueue('no.such.job', null));
    expect(unknown).toMatchObject({ status: 'failed', last_error: 'no processor for job "no.such.job"' });
  });

  it('keeps jobs across a restart and takes back a job a dead worker left running', async () => {
    const queued = await enqueue('mark', 'queued while down');
    const orphan = await enqueue('mark', 'left running');
    await t.db.updateTable('jobs').set({ status: 'running', attempts: 1, locked_by: 'dead-worker', locked_at: new Date(Date.now() - 60_000) }).where('id', '=', orphan).execute();
    const ran: string[] = [];
    await start({ mark: async (job) => void ran.push(job.payload as string) }, { abandonedAfterMs: 30_000 });
    await settled(queued);
    expect(await settled(orphan)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(ran.sort()).toEqual(['left running', 'queued while down']);
  });

  it.runIf(queue === 'in-process')('takes back a job whose worker died while this one runs, and ignores the dead worker\'s late word', async () => {
    const ran: string[] = [];
    await start({ mark: async (job) => void ran.push(job.payload as string) }, { abandonedAfterMs: 60_000, leaseMs: 300 });
    // Another process claimed it and died: its lease is already old. (One transaction, so this
    // runner cannot claim the job before it looks taken.)
    const orphan = await withTenant(t.db, tenant.id, async (trx) => {
      const id = await enqueueJob(trx, 'mark', 'orphan');
      await trx.updateTable('jobs').set({ status: 'running', attempts: 1, locked_by: 'dead-worker', locked_at: new Date(Date.now() - 60_000) }).where('id', '=', id).execute();
      return id;
    });
    expect(await settled(orphan)).toMatchObject({ status: 'completed', attempts: 2 });
    await markFailed(t.db, orphan, 'dead-worker', 'late failure from the dead worker');
    expect(await findJob(t.db, orphan)).toMatchObject({ status: 'completed', last_error: null });
    expect(ran).toEqual(['orphan']);
  });

  it('shares the queue between several workers, each job running once', async () => {
    const runs = new Map<string, string[]>();
    const processors = (worker: string): JobProcessors => ({
      count: async (job) => {
        runs.set(job.id, [...(runs.get(job.id) ?? []), worker]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
    });
    const prefix = `accord-test-${randomBytes(6).toString('hex')}`;
    await start(processors('a'), { prefix });
    await start(processors('b'), { prefix });
    const ids = await withTenant(t.db, tenant.id, async (trx) => {
      const made: string[] = [];
      for (let i = 0; i < 30; i++) made.push(await enqueueJob(trx, 'count', i));
      return made;
    });
    for (const runner of runners) runner.wake();
    for (const id of ids) await settled(id);
    expect([...runs.keys()].sort()).toEqual([...ids].sort());
    expect([...runs.values()].every((workers) => workers.length === 1)).toBe(true);
  });
});
