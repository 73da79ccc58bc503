/**
 * The tenant's identifier table (migration 0007): bulk upsert returning ids, lookup by canonical
 * value, and opening rows by id for modules that need the raw value (to derive a platform's hash).
 * Every function runs in the caller's TenantTransaction, so row-level security scopes it.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { canonicalIdentifier, type Identifier } from './identifier.ts';
import type { IdentifierKeys } from './identifier-keys.ts';
import { hashedTypeParts, isIdentifierType } from './identifier-types.ts';

/** Rows per statement: 6 bind parameters each stays far below Postgres's 65,535. */
const PAGE = 5_000;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const rowKey = (type: string, scope: string, lookupHash: Uint8Array) => `${type}\0${scope}\0${hex(lookupHash)}`;

interface Keyed {
  readonly identifier: Identifier;
  readonly scope: string;
  readonly lookupHash: Uint8Array;
  readonly key: string;
}

function keyed(keys: IdentifierKeys, tenantId: string, identifiers: readonly Identifier[]): Keyed[] {
  return identifiers.map((identifier) => {
    const scope = identifier.scope ?? '';
    const lookupHash = keys.lookupHash(tenantId, identifier);
    return { identifier, scope, lookupHash, key: rowKey(identifier.type, scope, lookupHash) };
  });
}

/**
 * Stores identifiers not seen before and returns the id of each input, in input order (repeats in
 * the batch get the same id). One statement per page of 5,000: the no-op update on conflict makes
 * rows that already exist return their id too. An existing row keeps its sealed value.
 */
export async function upsertIdentifiers(trx: TenantTransaction, keys: IdentifierKeys, identifiers: readonly Identifier[]): Promise<number[]> {
  const inputs = keyed(keys, trx.tenantId, identifiers);
  const unique = [...new Map(inputs.map((input) => [input.key, input])).values()];
  const ids = new Map<string, number>();
  for (let i = 0; i < unique.length; i += PAGE) {
    const rows = unique.slice(i, i + PAGE).map(({ identifier, scope, lookupHash }) => {
      const declared = hashedTypeParts(identifier.type) !== undefined;
      return {
        tenant_id: trx.tenantId,
        type: identifier.type,
        scope,
        lookup_hash: lookupHash,
        value_sealed: declared ? null : keys.seal(trx.tenantId, identifier, lookupHash),
        declared_hash: declared ? identifier.value : null,
      };
    });
    const stored = await trx
      .insertInto('identifiers')
      .values(rows)
      .onConflict((oc) => oc.columns(['tenant_id', 'lookup_hash', 'type', 'scope']).doUpdateSet((eb) => ({ type: eb.ref('excluded.type') })))
      .returning(['id', 'type', 'scope', 'lookup_hash'])
      .execute();
    for (const row of stored) ids.set(rowKey(row.type, row.scope, row.lookup_hash), row.id);
  }
  return inputs.map((input) => ids.get(input.key)!);
}

/** The id of each identifier, or undefined where the tenant has never stored it; one query. */
export async function findIdentifierIds(trx: TenantTransaction, keys: IdentifierKeys, identifiers: readonly Identifier[]): Promise<Array<number | undefined>> {
  if (identifiers.length === 0) return [];
  const inputs = keyed(keys, trx.tenantId, identifiers);
  const ids = new Map<string, number>();
  const unique = [...new Map(inputs.map((input) => [input.key, input.lookupHash])).values()];
  for (let i = 0; i < unique.length; i += PAGE) {
    const rows = await trx.selectFrom('identifiers').select(['id', 'type', 'scope', 'lookup_hash']).where('lookup_hash', 'in', unique.slice(i, i + PAGE)).execute();
    for (const row of rows) ids.set(rowKey(row.type, row.scope, row.lookup_hash), row.id);
  }
  return inputs.map((input) => ids.get(input.key));
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
