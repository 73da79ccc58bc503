/**
 * Suppression tombstones (consent/suppression-hash.ts): written by erasure, append-only in the
 * database, and checked by every path that could bring an erased person back (consent grants,
 * ingest, audience egress).
 */
import { sql } from 'kysely';
import { ConsentError } from '../../consent/consent-errors.ts';
import { subjectTombstone } from '../../consent/suppression-hash.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface Tombstone {
  readonly hash: Uint8Array;
  /** 'subject' or the identifier type. */
  readonly kind: string;
}

/** Whether any of these tombstone hashes is on the tenant's suppression list. */
export async function isSuppressed(trx: TenantTransaction, hashes: readonly Uint8Array[]): Promise<boolean> {
  if (hashes.length === 0) return false;
  const hit = await trx.selectFrom('suppression_tombstones').select('kind').where('hash', 'in', hashes.map((hash) => Buffer.from(hash))).limit(1).executeTakeFirst();
  return hit !== undefined;
}

/** Which of these tombstone hashes are on the list (as hex), for batch paths that refuse item by item; one query. */
export async function suppressedAmong(trx: TenantTransaction, hashes: readonly Uint8Array[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await trx
    .selectFrom('suppression_tombstones')
    .select('hash')
    .where('hash', '=', sql<Uint8Array>`any(${hashes.map((hash) => Buffer.from(hash))}::bytea[])`)
    .execute();
  return new Set(rows.map((row) => Buffer.from(row.hash).toString('hex')));
}

/** Refuses work that would bring an erased subject back (ACCORD_ERR_CONSENT_SUPPRESSED); one query for many subjects. */
export async function assertNotSuppressed(trx: TenantTransaction, subjects: string | readonly string[]): Promise<void> {
  const list = typeof subjects === 'string' ? [subjects] : subjects;
  if (await isSuppressed(trx, list.map((subject) => subjectTombstone(trx.tenantId, subject)))) {
    throw new ConsentError('ACCORD_ERR_CONSENT_SUPPRESSED', list.length === 1 ? 'this subject was erased; nothing new is recorded for it' : 'a subject in the batch was erased; nothing new is recorded for it');
  }
}

/** Adds tombstones; ones already there stay as they were. Returns how many were new. */
export async function addTombstones(trx: TenantTransaction, tombstones: readonly Tombstone[], requestId: string): Promise<number> {
  if (tombstones.length === 0) return 0;
  const inserted = await trx
    .insertInto('suppression_tombstones')
    .values(tombstones.map((t) => ({ tenant_id: trx.tenantId, hash: t.hash, kind: t.kind, request_id: requestId })))
    .onConflict((oc) => oc.columns(['tenant_id', 'hash']).doNothing())
    .returning('kind')
    .execute();
  return inserted.length;
}
