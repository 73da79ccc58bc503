/**
 * Where an erasure's removals stand, per derived store (erase-derived-stores.ts): `done` with how many
 * rows went, or, for a store reached through a job, `queued` until it is `done` or `failed`. Shown
 * with the request, so a privacy officer sees what is finished and what is still on its way.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export const removalStatuses = ['done', 'queued', 'failed'] as const;
export type RemovalStatus = (typeof removalStatuses)[number];

export interface StoreRemoval {
  readonly store: string;
  readonly status: RemovalStatus;
  readonly removed: number;
}

/** A request carried out again adds what it removed this time to what it removed before; a rerun that changes nothing writes nothing. */
export async function recordRemovals(trx: TenantTransaction, requestId: string, removals: readonly StoreRemoval[]): Promise<void> {
  if (removals.length === 0) return;
  await trx
    .insertInto('privacy_request_removals')
    .values(removals.map((removal) => ({ tenant_id: trx.tenantId, request_id: requestId, ...removal })))
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'request_id', 'store'])
        .doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          removed: sql<number>`privacy_request_removals.removed + excluded.removed`,
          updated_at: sql<Date>`now()`,
        }))
        .where(sql<boolean>`excluded.removed > 0 or excluded.status <> privacy_request_removals.status`),
    )
    .execute();
}

export async function readRemovals(trx: TenantTransaction, requestId: string): Promise<Array<StoreRemoval & { updatedAt: Date }>> {
  const rows = await trx.selectFrom('privacy_request_removals').select(['store', 'status', 'removed', 'updated_at']).where('request_id', '=', requestId).orderBy('store').execute();
  return rows.map((row) => ({ store: row.store, status: row.status, removed: row.removed, updatedAt: row.updated_at }));
}
