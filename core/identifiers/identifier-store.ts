/**
 * The tenant's identifier table (migration 0007): bulk store returning ids, lookup by canonical
 * value, and opening rows by id for modules that need the raw value (to derive a platform's hash).
 * Every function that reads or writes runs in the caller's TenantTransaction, so row-level
 * security scopes it. Sealing is apart from storing, so bulk ingest can seal the next chunk while
 * the previous chunk's transaction runs.
 */
import { sql } from 'kysely';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { canonicalIdentifier, type Identifier } from './identifier.ts';
import type { IdentifierKeys } from './identifier-keys.ts';
import { hashedTypeParts, isIdentifierType } from './identifier-types.ts';

/** Rows per statement where ids are bound one parameter each. */
const PAGE = 5_000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const rowKey = (type: string, scope: string, lookupHash: Uint8Array) => `${type}\0${scope}\0${hex(lookupHash)}`;

/** An identifier with what storing it takes, computed without the database. */
export interface SealedIdentifier {
  readonly identifier: Identifier;
  readonly lookupHash: Uint8Array;
  /** The raw canonical value, sealed; null for a declared hash, which is stored as it came. */
  readonly sealed: Uint8Array | null;
}

export function sealIdentifier(keys: IdentifierKeys, tenantId: string, identifier: Identifier): SealedIdentifier {
  const lookupHash = keys.lookupHash(tenantId, identifier);
  return { identifier, lookupHash, sealed: hashedTypeParts(identifier.type) === undefined ? keys.seal(tenantId, identifier, lookupHash) : null };
}

export interface StoredIdentifiers {
  /** The id of each input, in input order (repeats get the same id). */
  readonly ids: number[];
  /** Ids of the rows this call inserted: nothing can refer to them before this transaction. */
  readonly created: ReadonlySet<number>;
}

/**
 * Stores identifiers not seen before and returns the id of each input. One insert of all the new
 * rows, arrays bound as single parameters; rows that already exist (the insert skips them) are
 * then read by lookup hash, so a fresh batch costs one statement. An existing row keeps its
 * sealed value.
 */
export async function storeIdentifiers(trx: TenantTransaction, sealed: readonly SealedIdentifier[]): Promise<StoredIdentifiers> {
  const unique = new Map<string, SealedIdentifier>();
  // A caller that repeats the same object (ingest does, for a repeated identifier) pays for one key.
  const keyOf = new Map<SealedIdentifier, string>();
  const inputKeys = sealed.map((entry) => {
    let key = keyOf.get(entry);
    if (key === undefined) {
      key = rowKey(entry.identifier.type, entry.identifier.scope ?? '', entry.lookupHash);
      keyOf.set(entry, key);
      if (!unique.has(key)) unique.set(key, entry);
    }
    return key;
  });
  const ids = new Map<string, number>();
  const created = new Set<number>();
  if (unique.size > 0) {
    const rows = [...unique.values()];
    const inserted = await sql<{ id: number; type: string; scope: string; lookup_hash: Uint8Array }>`
      insert into identifiers (tenant_id, type, scope, lookup_hash, value_sealed, declared_hash)
      select ${trx.tenantId}::uuid, u.type, u.scope, u.lookup_hash, u.value_sealed, u.declared_hash
        from unnest(${rows.map((row) => row.identifier.type)}::text[], ${rows.map((row) => row.identifier.scope ?? '')}::text[],
                    ${rows.map((row) => asBuffer(row.lookupHash))}::bytea[], ${rows.map((row) => (row.sealed ? asBuffer(row.sealed) : null))}::bytea[],
                    ${rows.map((row) => (row.sealed ? null : row.identifier.value))}::text[])
             as u(type, scope, lookup_hash, value_sealed, declared_hash)
      on conflict (tenant_id, lookup_hash, type, scope) do nothing
      returning id, type, scope, lookup_hash`.execute(trx);
    for (const row of inserted.rows) {
      ids.set(rowKey(row.type, row.scope, row.lookup_hash), Number(row.id));
      created.add(Number(row.id));
    }
    if (ids.size < unique.size) await readIds(trx, [...unique].flatMap(([key, row]) => (ids.has(key) ? [] : [row.lookupHash])), ids);
  }
  return { ids: inputKeys.map((key) => ids.get(key)!), created };
}

/** Stores identifiers not seen before and returns the id of each input, in input order. */
export async function upsertIdentifiers(trx: TenantTransaction, keys: IdentifierKeys, identifiers: readonly Identifier[]): Promise<number[]> {
  return (await storeIdentifiers(trx, identifiers.map((identifier) => sealIdentifier(keys, trx.tenantId, identifier)))).ids;
}

/** The id of each identifier, or undefined where the tenant has never stored it; one query. */
export async function findIdentifierIds(trx: TenantTransaction, keys: IdentifierKeys, identifiers: readonly Identifier[]): Promise<Array<number | undefined>> {
  if (identifiers.length === 0) return [];
  const inputs = identifiers.map((identifier) => {
    const lookupHash = keys.lookupHash(trx.tenantId, identifier);
    return { lookupHash, key: rowKey(identifier.type, identifier.scope ?? '', lookupHash) };
  });
  const ids = new Map<string, number>();
  await readIds(trx, [...new Map(inputs.map((input) => [input.key, input.lookupHash])).values()], ids);
  return inputs.map((input) => ids.get(input.key));
}

/** Adds the rows with these lookup hashes to `ids`, by row key. */
async function readIds(trx: TenantTransaction, lookupHashes: readonly Uint8Array[], ids: Map<string, number>): Promise<void> {
  const rows = await trx
    .selectFrom('identifiers')
    .select(['id', 'type', 'scope', 'lookup_hash'])
    .where('lookup_hash', '=', anyOf(lookupHashes.map(asBuffer), 'bytea'))
    .execute();
  for (const row of rows) ids.set(rowKey(row.type, row.scope, row.lookup_hash), Number(row.id));
}

/** Identifiers by id, with the raw canonical value unsealed; ids the tenant does not have are absent. */
export async function openIdentifiers(trx: TenantTransaction, keys: IdentifierKeys, ids: readonly number[]): Promise<Map<number, Identifier>> {
  const opened = new Map<number, Identifier>();
  const wanted = [...new Set(ids)];
  for (let i = 0; i < wanted.length; i += PAGE) {
    const rows = await trx.selectFrom('identifiers').select(['id', 'type', 'scope', 'lookup_hash', 'value_sealed', 'declared_hash']).where('id', 'in', wanted.slice(i, i + PAGE)).execute();
    for (const row of rows) {
      if (!isIdentifierType(row.type)) throw new TypeError(`identifier ${row.id} has unknown type ${row.type}`);
      const value = row.declared_hash ?? keys.open(trx.tenantId, { type: row.type, scope: row.scope, lookupHash: row.lookup_hash, sealed: row.value_sealed! });
      opened.set(row.id, canonicalIdentifier(row.type, value, row.scope));
    }
  }
  return opened;
}

export async function openIdentifier(trx: TenantTransaction, keys: IdentifierKeys, id: number): Promise<Identifier | undefined> {
  return (await openIdentifiers(trx, keys, [id])).get(id);
}

// pg binds a Buffer as bytea; a bare Uint8Array would go as an array of numbers.
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
