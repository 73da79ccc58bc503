/**
 * Dynamic segments through the job queue: `segments.refresh` refreshes one segment of the job's
 * tenant. A segment with a schedule queues its next run (run_at in the future) once a run ends,
 * unless another run is already queued; a per-segment advisory lock keeps an on-demand run and
 * the schedule from starting two chains. A refused rule (too costly, too large) fails the job at
 * once: retrying now cannot help, the next scheduled run may.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { ConsentGate } from '../consent/consent-gate.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';
import { SegmentError } from './segment-errors.ts';
import { findSegment, refreshSegment } from './segment-store.ts';

export const REFRESH_SEGMENT_JOB = 'segments.refresh';

const payloadSchema = z.object({ segment: z.number().int().positive() });

async function lockSegment(trx: TenantTransaction, id: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`${trx.tenantId}/${REFRESH_SEGMENT_JOB}/${id}`}))`.execute(trx);
}

const openRuns = (trx: TenantTransaction, id: number) =>
  trx.selectFrom('jobs').select('id').where('name', '=', REFRESH_SEGMENT_JOB).where('status', 'in', ['pending', 'dispatched', 'running']).where(sql<string>`payload->>'segment'`, '=', String(id));

/** Queues a refresh now unless one is already waiting to start; returns that job's id. */
export async function enqueueSegmentRefresh(trx: TenantTransaction, id: number, delayMs = 0): Promise<string> {
  await lockSegment(trx, id);
  const open = delayMs === 0 ? await openRuns(trx, id).where('status', '!=', 'running').where('run_at', '<=', new Date()).executeTakeFirst() : undefined;
  return open?.id ?? enqueueJob(trx, REFRESH_SEGMENT_JOB, { segment: id }, { maxAttempts: 3, delayMs });
}

export const refreshSegmentJob = (gate: ConsentGate): JobProcessor => async (job) => {
  const payload = payloadSchema.safeParse(job.payload);
  if (!payload.success) throw new UnrecoverableJobError(`${REFRESH_SEGMENT_JOB} needs { segment }`);
  const id = payload.data.segment;
  let failure: unknown;
  try {
    await job.inTenant((trx) => refreshSegment(trx, gate, id, `job:${job.id}`));
  } catch (error) {
    failure = error;
  }
  const final = failure === undefined || failure instanceof SegmentError || failure instanceof AccordError;
  if (final) {
    await job.inTenant(async (trx) => {
      await lockSegment(trx, id);
      const segment = await findSegment(trx, id);
      if (segment?.kind !== 'dynamic' || !segment.scheduleSeconds || segment.archivedAt) return;
      const others = await openRuns(trx, id).where('id', '!=', job.id).execute();
      if (others.length === 0) await enqueueJob(trx, REFRESH_SEGMENT_JOB, { segment: id }, { maxAttempts: 3, delayMs: segment.scheduleSeconds * 1000 });
    });
  }
  if (failure === undefined) return;
  throw final ? new UnrecoverableJobError(`${(failure as Error & { code?: string }).code ?? 'error'}: ${(failure as Error).message}`) : failure;
};
