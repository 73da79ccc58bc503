/**
 * Persons the gate allowed, as a connector's identifier profile takes them: every identifier linked
 * to the person (or to anyone merged into them), opened from the sealed store. The key is the person
 * id as text. Only a ConsentedPersons opens identifiers here, so nobody the gate refused is sent.
 */
import { sql } from 'kysely';
import { ConsentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { isIdentifierType } from '../identifiers/identifier-types.ts';
import type { MemberInput } from './identifier-profile.ts';

/** `page`: some of the allowed persons (all when absent); persons the gate did not allow are left out. */
export async function memberInputs(trx: TenantTransaction, keys: IdentifierKeys, allowed: ConsentedPersons, purpose: string, page?: readonly number[]): Promise<MemberInput[]> {
  ConsentedPersons.check(allowed, purpose);
  const personIds = page ? page.filter((id) => allowed.has(id)) : allowed.ids();
  if (personIds.length === 0) return [];
  const ids = `{${personIds.join(',')}}`;
  // Persons merged into the allowed ones bring their identifiers; two index probes, no scan.
  const { rows: absorbed } = await sql<{ id: string; merged_into: string }>`
    select id, merged_into from persons where tenant_id = ${trx.tenantId}::uuid and merged_into = any(${ids}::bigint[])`.execute(trx);
  const rootOf = new Map<number, number>(absorbed.map((row) => [Number(row.id), Number(row.merged_into)]));
  // One statement with array parameters: thousands of bound scalars cost more than the rows.
  const { rows } = await sql<{ person_id: string; type: string; scope: string; lookup_hash: Uint8Array; value_sealed: Uint8Array | null; declared_hash: string | null }>`
    select l.person_id, i.type, i.scope, i.lookup_hash, i.value_sealed, i.declared_hash
    from identity_links l join identifiers i on i.tenant_id = l.tenant_id and i.id = l.identifier_id
    where l.tenant_id = ${trx.tenantId}::uuid and l.person_id = any(${`{${[...personIds, ...rootOf.keys()].join(',')}}`}::bigint[])`.execute(trx);
  const byPerson = new Map<number, MemberInput['identifiers'][number][]>(personIds.map((id) => [id, []]));
  for (const row of rows) {
    if (!isIdentifierType(row.type)) continue;
    const value = row.declared_hash ?? keys.open(trx.tenantId, { type: row.type, scope: row.scope, lookupHash: row.lookup_hash, sealed: row.value_sealed! });
    const person = Number(row.person_id);
    byPerson.get(rootOf.get(person) ?? person)?.push({ type: row.type, value, scope: row.scope || undefined });
  }
  return [...byPerson].map(([person, identifiers]) => ({ key: String(person), identifiers }));
}
