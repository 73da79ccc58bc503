/**
 * Computed tags (SQL and rule tags) through the job queue. A tag with a schedule re-enqueues its
 * next run (run_at in the future) when a run ends for good, unless another run of the same tag is
 * already queued; a per-tag advisory lock keeps a manual run and the schedule from starting two
 * chains. A refused run (TagError, AccordError) fails the job at once (retrying cannot help) and,
 * on a schedule, is tried again at the next interval, when the data may have changed.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { ConsentGate } from '../consent/consent-gate.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobContext, type JobProcessor } from '../jobs/job-runner.ts';
import { findTag } from './tag-definitions.ts';
import { TagError } from './tag-errors.ts';

const payloadSchema = z.object({ tag: z.string().min(1).max(63) });

const OPEN_STATUSES = ['pending', 'dispatched', 'running'] as const;

export interface ScheduledTagRuns {
  /** Queues a run now unless one is already waiting to start; returns that run's job id. */
  enqueueRun(trx: TenantTransaction, key: string): Promise<string>;
  /** The job processor, computing through the process's consent gate. */
  processor(gate: ConsentGate): JobProcessor;
}

export function scheduledTagRuns(
  jobName: string,
  kind: 'sql' | 'rule',
  compute: (inTenant: JobContext['inTenant'], gate: ConsentGate, key: string, actor: string) => Promise<unknown>,
): ScheduledTagRuns {
  const lockTag = async (trx: TenantTransaction, key: string) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`${trx.tenantId}/${jobName}/${key}`}))`.execute(trx);
  };
  const openRuns = (trx: TenantTransaction, key: string) =>
    trx.selectFrom('jobs').select('id').where('name', '=', jobName).where('status', 'in', OPEN_STATUSES).where(sql<string>`payload->>'tag'`, '=', key);

  const enqueueRun = async (trx: TenantTransaction, key: string): Promise<string> => {
    await lockTag(trx, key);
    const open = await openRuns(trx, key).where('status', '!=', 'running').where('run_at', '<=', new Date()).executeTakeFirst();
    return open?.id ?? enqueueJob(trx, jobName, { tag: key }, { maxAttempts: 3 });
  };

  const processor = (gate: ConsentGate): JobProcessor => async (job) => {
    const payload = payloadSchema.safeParse(job.payload);
    if (!payload.success) throw new UnrecoverableJobError(`${jobName} needs { tag }`);
    const key = payload.data.tag;
    let failure: unknown;
    try {
      await compute(job.inTenant, gate, key, `job:${job.id}`);
    } catch (error) {
      failure = error;
    }
    const final = failure === undefined || failure instanceof TagError || failure instanceof AccordError;
    if (final) {
      await job.inTenant(async (trx) => {
        await lockTag(trx, key);
        const tag = await findTag(trx, key);
        if (tag?.kind !== kind || !tag.schedule_seconds || tag.archived_at) return;
        const others = await openRuns(trx, key).where('id', '!=', job.id).execute();
        if (others.length === 0) await enqueueJob(trx, jobName, { tag: key }, { maxAttempts: 3, delayMs: tag.schedule_seconds * 1000 });
      });
    }
    if (failure === undefined) return;
    throw final ? new UnrecoverableJobError(`${(failure as Error & { code?: string }).code ?? 'error'}: ${(failure as Error).message}`) : failure;
  };

  return { enqueueRun, processor };
}
