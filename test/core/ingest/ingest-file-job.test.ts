/**
 * The ingest job's own failure paths, run directly (the API tests drive the happy path through both
 * runners): a run whose job cannot finish is failed with the reason, never left queued or running,
 * and its stored file is removed; a stale job (its run taken over by a later upload) does nothing.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant } from '../../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { acceptIngestFile, INGEST_FILE_JOB, ingestFileJob } from '../../../core/ingest/ingest-file-job.ts';
import type { RunSettings } from '../../../core/ingest/ingest-runs.ts';
import { executeJob } from '../../../core/jobs/job-store.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const keys = new IdentifierKeys(new Uint8Array(32).fill(4));

describe.each(storageBackends)('the ingest.file job on %s', (backend) => {
  let t: TestDatabase;
  let tenantId: string;
  let dir: string;

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenantId = (await ensureTenant(t.db, 'brand')).id;
    dir = await mkdtemp(join(tmpdir(), 'accord-ingest-job-test-'));
  });
  afterEach(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const accept = async (text: string) => {
    const path = join(dir, `${createHash('sha256').update(text).digest('hex')}.csv`);
    await writeFile(path, text);
    const settings: RunSettings = { kind: 'members', contentHash: createHash('sha256').update(text).digest(), format: 'csv', encoding: 'utf-8', mode: 'strict', bytes: Buffer.byteLength(text), actor: 'test' };
    return { run: await acceptIngestFile(t.db, tenantId, settings, path), settings, path };
  };
  const queuedJobs = () => t.db.selectFrom('jobs').selectAll().where('name', '=', INGEST_FILE_JOB).where('status', '=', 'pending').execute();
  const run = (id: string) => withTenant(t.db, tenantId, (trx) => trx.selectFrom('ingest_runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
  const storedParts = () => t.db.selectFrom('ingest_upload_parts').select('upload_id').execute();

  it('fails the run, with the reason, when its stored file is incomplete; nothing is ingested and the file is removed', async () => {
    const { run: queued } = await accept('email\na@example.com\nb@example.com\n');
    expect(queued.status).toBe('queued');
    await t.db.deleteFrom('ingest_upload_parts').execute();
    const [job] = await queuedJobs();
    expect(await executeJob(t.db, { [INGEST_FILE_JOB]: ingestFileJob(t.db, keys) }, { ...job!, attempts: 1 })).toEqual({ ok: true });
    const failed = await run(queued.id);
    expect(failed).toMatchObject({ status: 'failed', applied: 0, last_committed_row: 0 });
    expect(failed.error).toMatchObject({ row: 1, reason: 'ingest_stopped', detail: expect.stringContaining('the stored file has 0 of its') });
    expect(await withTenant(t.db, tenantId, (trx) => trx.selectFrom('persons').select('id').execute())).toEqual([]);
  });

  it('queues the same content once, and queues a failed run again to resume it', async () => {
    const text = 'email\nfirst@example.com\nnot-an-email\n';
    const first = await accept(text);
    // The same content while its job is open: the same run, no second job, no second stored file.
    expect((await accept(text)).run.id).toBe(first.run.id);
    expect(await queuedJobs()).toHaveLength(1);
    expect(new Set((await storedParts()).map((p) => p.upload_id)).size).toBe(1);

    const [job] = await queuedJobs();
    await t.db.updateTable('jobs').set({ status: 'running' }).where('id', '=', job!.id).execute();
    expect(await executeJob(t.db, { [INGEST_FILE_JOB]: ingestFileJob(t.db, keys) }, { ...job!, attempts: 1 })).toEqual({ ok: true });
    await t.db.updateTable('jobs').set({ status: 'completed' }).where('id', '=', job!.id).execute();
    expect(await run(first.run.id)).toMatchObject({ status: 'failed', applied: 1, last_committed_row: 2 });
    expect(await storedParts()).toEqual([]);

    // Sent again: the failed run is queued again, with a new stored file and a job of its own.
    const again = await accept(text);
    expect(again.run).toMatchObject({ id: first.run.id, status: 'queued' });
    expect(await queuedJobs()).toHaveLength(1);
    // The first job, delivered again (at least once), finds its run taken over and does nothing.
    expect(await executeJob(t.db, { [INGEST_FILE_JOB]: ingestFileJob(t.db, keys) }, { ...job!, attempts: 2 })).toEqual({ ok: true });
    expect(await run(first.run.id)).toMatchObject({ status: 'queued' });
    expect(await storedParts()).not.toEqual([]);
  });
});
