/**
 * Which identifiers belong to an erased person: their hashed forms checked against the tenant's
 * suppression tombstones (written by erasure, consent/suppression-hash.ts) in one query, so ingest
 * can drop those rows instead of bringing the person back (failure mode 39). Computing the
 * tombstones takes no database, so bulk ingest does it before the chunk's transaction.
 */
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { Identifier } from './identifier.ts';
import { tombstonesOf } from './identifier-hashes.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** The tombstone hashes that would mark this identifier as erased. */
export function suppressionHashesOf(tenantId: string, identifier: Identifier): Uint8Array[] {
  return tombstonesOf(tenantId, identifier).map((tombstone) => tombstone.hash);
}

/** For each list of tombstone hashes (one identifier's), whether the tenant has a tombstone with one of them. */
export async function suppressedAmongHashes(trx: TenantTransaction, hashesPerIdentifier: ReadonlyArray<readonly Uint8Array[]>): Promise<boolean[]> {
  // Repeats are left in: the index scan sorts and dedupes the array itself.
  const all = hashesPerIdentifier.flat().map((hash) => (Buffer.isBuffer(hash) ? hash : Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength)));
  if (all.length === 0) return hashesPerIdentifier.map(() => false);
  const found = await trx.selectFrom('suppression_tombstones').select('hash').where('hash', '=', anyOf(all, 'bytea')).execute();
  if (found.length === 0) return hashesPerIdentifier.map(() => false);
  const hit = new Set(found.map((row) => hex(row.hash)));
  return hashesPerIdentifier.map((hashes) => hashes.some((hash) => hit.has(hex(hash))));
}

/** For each identifier, whether a tombstone suppresses it. */
export async function suppressedIdentifiers(trx: TenantTransaction, identifiers: readonly Identifier[]): Promise<boolean[]> {
  return suppressedAmongHashes(
    trx,
    identifiers.map((identifier) => suppressionHashesOf(trx.tenantId, identifier)),
  );
}
