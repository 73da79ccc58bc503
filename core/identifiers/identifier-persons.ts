/**
 * Who an uploaded identifier names: normalise it, find it by its keyed lookup hash, follow its
 * identity link to the person, and an absorbed person to its survivor. Used wherever a list of
 * identifiers comes in from outside (an imported segment, static tag values keyed by identifier),
 * so every such list resolves people the same way. Never throws on user input.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { Identifier, RejectionReason } from './identifier.ts';
import type { IdentifierKeys } from './identifier-keys.ts';
import { findIdentifierIds } from './identifier-store.ts';
import { normaliseIdentifier, type IdentifierInput } from './normalise-identifier.ts';

/** The live person an identifier names, or why there is none. */
export type IdentifierPerson = { readonly personId: number } | { readonly invalid: RejectionReason; readonly detail: string } | { readonly unknown: true };

/** Ids as one Postgres array literal: one bound parameter however many there are. */
const idArray = (ids: readonly number[]) => `{${ids.join(',')}}`;

/** One answer per input, in input order; a fixed number of statements. */
export async function personsOfIdentifiers(trx: TenantTransaction, keys: IdentifierKeys, inputs: readonly IdentifierInput[]): Promise<IdentifierPerson[]> {
  const normalised = inputs.map((input) => normaliseIdentifier(input));
  const accepted = normalised.filter((result): result is Extract<typeof result, { ok: true }> => result.ok);
  const identifierIds = await findIdentifierIds(trx, keys, accepted as Identifier[]);
  const known = [...new Set(identifierIds.filter((id): id is number => id !== undefined))];
  const personOf = new Map<number, number>();
  if (known.length > 0) {
    const { rows } = await sql<{ identifier_id: number; person_id: number }>`
      select l.identifier_id, coalesce(p.merged_into, p.id) as person_id
      from identity_links l join persons p on p.tenant_id = l.tenant_id and p.id = l.person_id
      where l.tenant_id = ${trx.tenantId}::uuid and l.identifier_id = any(${idArray(known)}::bigint[])`.execute(trx);
    for (const row of rows) personOf.set(Number(row.identifier_id), Number(row.person_id));
  }
  let next = 0;
  return normalised.map((result): IdentifierPerson => {
    if (!result.ok) return { invalid: result.reason, detail: result.detail };
    const id = identifierIds[next++];
    const personId = id === undefined ? undefined : personOf.get(Number(id));
    return personId === undefined ? { unknown: true } : { personId };
  });
}
