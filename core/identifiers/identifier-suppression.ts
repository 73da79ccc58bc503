/**
 * Which identifiers belong to an erased person: their hashed forms checked against the tenant's
 * suppression tombstones (written by erasure, consent/suppression-hash.ts) in one query, so ingest
 * can drop those rows instead of bringing the person back (failure mode 39).
 */
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { Identifier } from './identifier.ts';
import { tombstonesOf } from './identifier-hashes.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** For each identifier, whether a tombstone suppresses it. */
export async function suppressedIdentifiers(trx: TenantTransaction, identifiers: readonly Identifier[]): Promise<boolean[]> {
  const tombstones = identifiers.map((identifier) => tombstonesOf(trx.tenantId, identifier).map((t) => t.hash));
  const all = [...new Map(tombstones.flat().map((hash) => [hex(hash), hash])).values()];
  if (all.length === 0) return [];
  const found = await trx.selectFrom('suppression_tombstones').select('hash').where('hash', '=', anyOf(all, 'bytea')).execute();
  const hit = new Set(found.map((row) => hex(row.hash)));
  return tombstones.map((hashes) => hashes.some((hash) => hit.has(hex(hash))));
}
