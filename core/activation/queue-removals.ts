/**
 * Removals outside a run (a withdrawal, an erasure, a withdrawal that raced a batch): the members
 * are marked `removing` in the ledger and a job sends the removal with the ids sealed there.
 * Only members Accord put on the platform can be marked.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';

export const ACTIVATION_REMOVALS_JOB = 'activation.removals';
/** Tries of a chunk job before its rows are dead-lettered with the last error. */
export const CHUNK_ATTEMPTS = 20;
/** Ledger states of members on the platform. */
export const ACTIVE_STATES = ['present', 'kept', 'removing'] as const;
const PAGE = 2_000;

/**
 * Serialises, per tenant, writing sent members (with their re-check) and the withdrawal job's look
 * at who was sent: without it, a batch written just as a withdrawal commits could be missed by both.
 * Held until the transaction ends.
 */
export async function lockSentMembers(trx: TenantTransaction): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`accord.activation.sent:${trx.tenantId}`}))`.execute(trx);
}

/** Marks members for removal and queues the job that sends it; members not on the platform are left alone. */
export async function queueRemovals(trx: TenantTransaction, syncId: number, destinationId: number, personIds: readonly number[], reason: 'withdrawal' | 'erasure', requestId: string | null): Promise<number> {
  let marked = 0;
  for (let at = 0; at < personIds.length; at += PAGE) {
    const result = await trx
      .updateTable('activation_members')
      .set({ state: 'removing', removal_reason: reason, removal_request_id: requestId })
      .where('sync_id', '=', syncId)
      .where('destination_id', '=', destinationId)
      .where('person_id', 'in', personIds.slice(at, at + PAGE))
      .where('state', 'in', [...ACTIVE_STATES])
      .executeTakeFirst();
    marked += Number(result.numUpdatedRows);
  }
  if (marked > 0) await enqueueJob(trx, ACTIVATION_REMOVALS_JOB, { syncId, destinationId }, { maxAttempts: CHUNK_ATTEMPTS });
  return marked;
}
