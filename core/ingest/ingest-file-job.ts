/**
 * An uploaded ingest file is a job, not a request (Accord issue 11): the API stores the file and
 * answers at once with the run to poll; `ingest.file` reads the stored file through the pipeline on
 * whichever worker takes it, so a client that times out or hangs up does not decide the outcome.
 * The pipeline's own guarantees hold: a chunk per transaction, a strict run failing at its first
 * invalid row after the rows before it. A run that cannot finish (its tries spent) is failed with the
 * reason, never left running; the stored file is dropped once the run ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { Database } from '../db/schema.ts';
import { withTenant, type TenantTransaction } from '../db/tenant-scope.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';
import { ingestFile } from './ingest-file.ts';
import { finishRun, queueRun, standingRun, type IngestRun, type RunSettings } from './ingest-runs.ts';
import { copyUploadToFile, removeAbandonedUploads, removeUpload, storeUpload } from './ingest-uploads.ts';

export const INGEST_FILE_JOB = 'ingest.file';
const MAX_ATTEMPTS = 3;

const payloadSchema = z.object({ runId: z.uuid(), uploadId: z.uuid() });

const hasOpenJob = (trx: TenantTransaction) => async (runId: string) =>
  (await trx
    .selectFrom('jobs')
    .select('id')
    .where('name', '=', INGEST_FILE_JOB)
    .where('status', 'in', ['pending', 'dispatched', 'running'])
    .where(sql<string>`payload->>'runId'`, '=', runId)
    .executeTakeFirst()) !== undefined;

/**
 * Takes an uploaded file (spooled at `path`) for ingest: the run of the same content when it needs
 * nothing more (completed, or already queued), otherwise the file is stored and its run queued.
 */
export async function acceptIngestFile(db: Kysely<Database>, tenantId: string, settings: RunSettings, path: string): Promise<IngestRun> {
  const standing = await withTenant(db, tenantId, (trx) => standingRun(trx, settings, hasOpenJob(trx)));
  if (standing) return standing;
  const uploadId = await storeUpload(db, tenantId, path);
  const dropUpload = () => withTenant(db, tenantId, (trx) => removeUpload(trx, uploadId));
  try {
    const accepted = await withTenant(db, tenantId, async (trx) => {
      // Looked at again under the row's lock: a concurrent upload of the same content may have queued it.
      const other = await standingRun(trx, settings, hasOpenJob(trx), true);
      if (other) return { run: other, queued: false };
      const run = await queueRun(trx, settings, uploadId);
      if (!run) return { run: (await standingRun(trx, settings, hasOpenJob(trx)))!, queued: false };
      await enqueueJob(trx, INGEST_FILE_JOB, { runId: run.id, uploadId } satisfies z.infer<typeof payloadSchema>, { maxAttempts: MAX_ATTEMPTS });
      return { run, queued: true };
    });
    if (!accepted.queued) await dropUpload();
    return accepted.run;
  } catch (error) {
    await dropUpload().catch(() => {});
    throw error;
  }
}

export const ingestFileJob =
  (db: Kysely<Database>, keys: IdentifierKeys): JobProcessor =>
  async (job) => {
    const payload = payloadSchema.safeParse(job.payload);
    if (!payload.success) throw new UnrecoverableJobError(`${INGEST_FILE_JOB} needs { runId, uploadId }`);
    const { runId, uploadId } = payload.data;
    const run = await job.inTenant((trx) => trx.selectFrom('ingest_runs').selectAll().where('id', '=', runId).executeTakeFirst());
    // The run ended, or a later upload of the same content took it over with a job of its own.
    if (run && run.upload_id === uploadId && (run.status === 'queued' || run.status === 'running')) {
      const dir = await mkdtemp(join(tmpdir(), 'accord-ingest-'));
      try {
        const path = join(dir, 'file');
        const bytes = await copyUploadToFile(db, job.tenantId, uploadId, path);
        if (bytes !== Number(run.bytes)) throw new UnrecoverableJobError(`the stored file has ${bytes} of its ${run.bytes} bytes; send the file again`);
        await ingestFile(db, keys, job.tenantId, run.kind, path, { format: run.format as 'csv' | 'ndjson', encoding: run.encoding, mode: run.mode, actor: run.created_by });
      } catch (error) {
        const ended = await job.inTenant((trx) => trx.selectFrom('ingest_runs').select(['status', 'last_committed_row']).where('id', '=', runId).executeTakeFirstOrThrow());
        // The pipeline failed the run itself (an invalid row in strict mode, an unreadable file): that is its outcome.
        if (ended.status !== 'failed') {
          const last = error instanceof UnrecoverableJobError || job.attempt >= MAX_ATTEMPTS;
          if (!last) throw error;
          const detail = `the ingest stopped after ${job.attempt} tries: ${error instanceof Error ? error.message : String(error)}`;
          await job.inTenant(async (trx) => {
            const failed = await finishRun(trx, runId, 'failed', { row: ended.last_committed_row + 1, reason: 'ingest_stopped', detail });
            await recordAuditEvent(trx, { actor: run.created_by, action: 'ingest.failed', targetType: 'ingest_run', targetId: runId, details: { kind: failed.kind, rowsRead: failed.rowsRead, applied: failed.applied, reason: 'ingest_stopped' } });
          });
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    await job.inTenant(async (trx) => {
      await removeUpload(trx, uploadId);
      await removeAbandonedUploads(trx);
    });
  };
