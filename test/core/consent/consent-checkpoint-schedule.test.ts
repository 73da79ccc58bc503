import { PsiEngines } from '../../../core/psi/psi-engines.ts';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeJobProcessors } from '../../../api/job-processors.ts';
import { SEAL_CONSENT_CHECKPOINT_JOB, scheduleConsentCheckpoints } from '../../../core/consent/consent-checkpoint-schedule.ts';
import { publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../../core/identity/node-identity.ts';
import { enqueueJob } from '../../../core/jobs/enqueue-job.ts';
import type { JobRunner } from '../../../core/jobs/job-runner.ts';
import { findJob } from '../../../core/jobs/job-store.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openCheckpoint } from '../../../crypto/checkpoint.ts';
import { createTestRunner, queueBackends, waitFor } from '../../support/job-runners.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';

const combinations = storageBackends.flatMap((storage) => queueBackends.map((queue) => [storage, queue] as const));
const HOUR = 3600;

describe.each(combinations)('periodic checkpoint sealing on %s with the %s runner', (storage, queue) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let identity: NodeIdentity;
  let notice: Notice;
  let runner: JobRunner | undefined;
  let counter = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const record = () =>
    inTenant((trx) =>
      recordConsentEvent(trx, { clientEventId: `e-${++counter}`, subject: `s-${counter}`, purpose: 'marketing.sms', regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000) }),
    );
  const seals = () => t.db.selectFrom('jobs').selectAll().where('name', '=', SEAL_CONSENT_CHECKPOINT_JOB).orderBy('created_at').execute();
  const checkpoints = () => t.db.selectFrom('consent_checkpoints').selectAll().orderBy('tree_size').execute();
  const settled = (id: string) =>
    waitFor(async () => {
      const job = await findJob(t.db, id);
      return job && (job.status === 'completed' || job.status === 'failed') ? job : undefined;
    }, `job ${id} to finish`);
  /** The one open seal, waiting for its time. */
  const next = async () => {
    const open = (await seals()).filter((job) => job.status === 'pending');
    expect(open).toHaveLength(1);
    return open[0]!;
  };
  /** Time passes for the waiting seal (the test moves its run time instead of waiting an hour). */
  const due = async (id: string) => {
    await sql`update jobs set run_at = now() where id = ${id}`.execute(t.db);
    runner!.wake();
    return settled(id);
  };

  beforeEach(async () => {
    t = await openTestDatabase(storage);
    tenant = await ensureTenant(t.db, 'brand');
    identity = await loadOrCreateNodeIdentity(t.db, new Uint8Array(32).fill(6), 'Brand');
    notice = await inTenant(async (trx) => {
      await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
      return publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['marketing.sms'], recipients: [], dataCategories: [] });
    });
    // The node's registered processors, as `accord start` wires them.
    runner = createTestRunner(queue, t.db, nodeJobProcessors(t.db, identity, new Uint8Array(32).fill(7), new PsiEngines(), new ConsentGate()));
    await runner.start();
  });
  afterEach(async () => {
    await runner?.stop();
    await t.dispose();
  });

  it('seals when the log grew, skips when it did not, and keeps exactly one seal scheduled', async () => {
    await record();
    await record();
    const { jobId, started } = await inTenant((trx) => scheduleConsentCheckpoints(trx, { everySeconds: HOUR }));
    expect(started).toBe(true);
    runner!.wake();
    expect(await settled(jobId)).toMatchObject({ status: 'completed' });
    const [first] = await checkpoints();
    expect(first).toMatchObject({ tree_size: 2 });
    expect(openCheckpoint(first!.body, first!.signature, identity.publicKey)).toMatchObject({ treeSize: 2 });
    let waiting = await next();
    expect(waiting.payload).toEqual({ everySeconds: HOUR });
    expect(waiting.run_at.getTime()).toBeGreaterThan(Date.now() + (HOUR - 600) * 1000);

    await record();
    await due(waiting.id);
    expect((await checkpoints()).map((c) => c.tree_size)).toEqual([2, 3]);
    waiting = await next();

    await due(waiting.id); // nothing logged since: no new checkpoint
    expect((await checkpoints()).map((c) => c.tree_size)).toEqual([2, 3]);
    waiting = await next();

    // A seal delivered twice (or a second one enqueued by hand) does not start a second chain.
    const duplicate = await inTenant((trx) => enqueueJob(trx, SEAL_CONSENT_CHECKPOINT_JOB, { everySeconds: HOUR }));
    runner!.wake();
    expect(await settled(duplicate)).toMatchObject({ status: 'completed' });
    expect((await next()).id).toBe(waiting.id);

    // Rescheduling changes the interval of the waiting seal; its successor keeps the new one.
    expect(await inTenant((trx) => scheduleConsentCheckpoints(trx, { everySeconds: 60 }))).toEqual({ jobId: waiting.id, started: false });
    await due(waiting.id);
    expect((await next()).payload).toEqual({ everySeconds: 60 });
  });

  it('fails a seal with a malformed payload at once', async () => {
    const id = await inTenant((trx) => enqueueJob(trx, SEAL_CONSENT_CHECKPOINT_JOB, { everySeconds: 'hourly' }));
    runner!.wake();
    expect(await settled(id)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('needs { everySeconds }') });
    expect(await seals()).toHaveLength(1);
  });
});
