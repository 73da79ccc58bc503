/**
 * Erasure of what Accord derived from a person and keeps apart from their first-party data: segment
 * memberships, stored PSI matches and the partner payloads those matches opened. Each derived store
 * is a name and an erase function, run in the erasure's transaction; what each removed, and where
 * its removal stands, is recorded against the privacy request (privacy-request-removals.ts). A store
 * outside this database (an ad-platform destination) joins the list with an erase that queues its
 * removal and answers `queued`; its job later records `done` or `failed`.
 * Only this module opens the erasure path of the append-only match tables (migration 0019), and
 * closes it again before it returns.
 */
import { sql } from 'kysely';
import { queueErasureRemovals } from '../activation/activation-erasure.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { eraseMatchesOf, erasePayloadsOf } from '../psi/psi-matches.ts';
import { removeFromSegments } from '../segments/segment-store.ts';
import { recordRemovals, type RemovalStatus, type StoreRemoval } from './privacy-request-removals.ts';

interface DerivedStore {
  readonly name: string;
  erase(trx: TenantTransaction, personIds: readonly number[], requestId: string): Promise<{ status: RemovalStatus; removed: number }>;
}

const removedNow = async (removing: Promise<number>) => ({ status: 'done' as const, removed: await removing });

const derivedStores: readonly DerivedStore[] = [
  { name: 'segment_members', erase: (trx, persons, requestId) => removedNow(removeFromSegments(trx, persons, `privacy-request:${requestId}`)) },
  // Payloads before the matches they refer to.
  { name: 'psi_match_payloads', erase: (trx, persons) => removedNow(erasePayloadsOf(trx, persons)) },
  { name: 'psi_matches', erase: (trx, persons) => removedNow(eraseMatchesOf(trx, persons)) },
  // Outside this database: removals queued at every ad-platform destination the person was sent
  // to, each with its own entry (activation_destination:<id>) that its job moves to done or failed.
  { name: 'activation_members', erase: (trx, persons, requestId) => queueErasureRemovals(trx, persons, requestId) },
];

/** Removes the persons (a person and everyone merged into them) from every derived store. */
export async function eraseDerivedStores(trx: TenantTransaction, requestId: string, personIds: readonly number[]): Promise<StoreRemoval[]> {
  if (personIds.length === 0) return [];
  await sql`select set_config('accord.erasure', ${requestId}, true)`.execute(trx);
  const removals: StoreRemoval[] = [];
  for (const store of derivedStores) removals.push({ store: store.name, ...(await store.erase(trx, personIds, requestId)) });
  await sql`select set_config('accord.erasure', '', true)`.execute(trx);
  await recordRemovals(trx, requestId, removals);
  return removals;
}
