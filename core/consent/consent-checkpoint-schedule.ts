/**
 * Periodic sealing of the consent log: a job that signs a checkpoint when the log grew since the
 * last one and enqueues its own next run (`run_at` in the future), so the tenant has exactly one
 * scheduled seal at a time. Both the job and the scheduler take one advisory lock per tenant, so a
 * job delivered twice or a schedule call racing the job cannot start a second chain.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';
import { sealConsentCheckpoint, type CheckpointSigner } from './consent-checkpoints.ts';

export const SEAL_CONSENT_CHECKPOINT_JOB = 'consent.checkpoint.seal';
export const MAX_SEAL_INTERVAL_SECONDS = 7 * 86_400;

const schedulePayload = z.object({ everySeconds: z.number().int().min(1).max(MAX_SEAL_INTERVAL_SECONDS) });
export type SealSchedule = z.infer<typeof schedulePayload>;

const OPEN_STATUSES = ['pending', 'dispatched', 'running'] as const;

async function lockSchedule(trx: TenantTransaction): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`${trx.tenantId}/${SEAL_CONSENT_CHECKPOINT_JOB}`}))`.execute(trx);
}

function openSeals(trx: TenantTransaction) {
  return trx.selectFrom('jobs').select(['id', 'payload', 'status']).where('name', '=', SEAL_CONSENT_CHECKPOINT_JOB).where('status', 'in', OPEN_STATUSES);
}

/**
 * Starts periodic sealing (the first seal runs now) or, when a seal is already scheduled, changes
 * its interval; the running or next seal re-enqueues with the new one.
 */
export async function scheduleConsentCheckpoints(trx: TenantTransaction, schedule: SealSchedule): Promise<{ jobId: string; started: boolean }> {
  const payload = schedulePayload.parse(schedule);
  await lockSchedule(trx);
  const open = await openSeals(trx).orderBy('created_at').execute();
  if (open.length === 0) return { jobId: await enqueueJob(trx, SEAL_CONSENT_CHECKPOINT_JOB, payload), started: true };
  await trx.updateTable('jobs').set({ payload: JSON.stringify(payload) }).where('id', 'in', open.map((job) => job.id)).execute();
  return { jobId: open.at(-1)!.id, started: false };
}

export function sealConsentCheckpointJob(signer: CheckpointSigner): JobProcessor {
  return async (job) => {
    if (!schedulePayload.safeParse(job.payload).success) throw new UnrecoverableJobError(`${SEAL_CONSENT_CHECKPOINT_JOB} needs { everySeconds } from 1 to ${MAX_SEAL_INTERVAL_SECONDS}`);
    await job.inTenant(async (trx) => {
      await lockSchedule(trx);
      await sealConsentCheckpoint(trx, signer);
      // The row, not the payload this run was handed, holds the interval: a reschedule during the run counts.
      const own = await trx.selectFrom('jobs').select('payload').where('id', '=', job.id).executeTakeFirst();
      const { everySeconds } = schedulePayload.parse(own?.payload ?? job.payload);
      const others = await openSeals(trx).where('id', '!=', job.id).execute();
      if (others.length === 0) await enqueueJob(trx, SEAL_CONSENT_CHECKPOINT_JOB, { everySeconds }, { delayMs: everySeconds * 1000 });
    });
  };
}
