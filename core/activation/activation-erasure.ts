/**
 * Erasure reaches the ad platforms: every destination the person was sent to gets a queued removal
 * (the ids sent are sealed in the ledger, so it goes out after the person's identifiers are gone),
 * and the privacy request shows, per destination, `queued` until the platform took the removal
 * (`done`) or it gave up (`failed`). The ledger keeps that the person was sent and removed, without
 * the ids: a removal confirmed clears them.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { RemovalStatus } from '../privacy/privacy-request-removals.ts';
import { queueRemovals } from './queue-removals.ts';

export const destinationStore = (destinationId: number) => `activation_destination:${destinationId}`;

/** The erasure's derived-store entry: queues removals at every destination, answers how many were queued. */
export async function queueErasureRemovals(trx: TenantTransaction, personIds: readonly number[], requestId: string): Promise<{ status: RemovalStatus; removed: number }> {
  const targets = await trx
    .selectFrom('activation_members')
    .select(['sync_id', 'destination_id'])
    .distinct()
    .where('person_id', 'in', [...personIds])
    .where('state', 'in', ['present', 'kept', 'removing'])
    .execute();
  let queued = 0;
  for (const target of targets) queued += await queueRemovals(trx, Number(target.sync_id), Number(target.destination_id), personIds, 'erasure', requestId);
  for (const destinationId of new Set(targets.map((t) => Number(t.destination_id)))) await recordDestinationRemovals(trx, destinationId, false);
  return { status: queued > 0 ? 'queued' : 'done', removed: queued };
}

/** Where each erasure's removal stands at this destination, from its ledger rows. */
export async function recordDestinationRemovals(trx: TenantTransaction, destinationId: number, failed: boolean): Promise<void> {
  const { rows } = await sql<{ request_id: string; open: string; removed: string }>`
    select removal_request_id as request_id,
      count(*) filter (where state <> 'removed') as open,
      count(*) filter (where state = 'removed') as removed
    from activation_members
    where tenant_id = ${trx.tenantId}::uuid and destination_id = ${destinationId} and removal_request_id is not null
    group by removal_request_id`.execute(trx);
  for (const row of rows) {
    const status: RemovalStatus = Number(row.open) === 0 ? 'done' : failed ? 'failed' : 'queued';
    await trx
      .insertInto('privacy_request_removals')
      .values({ tenant_id: trx.tenantId, request_id: row.request_id, store: destinationStore(destinationId), status, removed: Number(row.removed) })
      .onConflict((oc) => oc.columns(['tenant_id', 'request_id', 'store']).doUpdateSet({ status, removed: Number(row.removed), updated_at: sql<Date>`now()` }))
      .execute();
  }
}
