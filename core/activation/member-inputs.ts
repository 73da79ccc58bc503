/**
 * Persons the gate allowed, as a connector's identifier profile takes them: every identifier linked
 * to the person (or to anyone merged into them), opened from the sealed store. The key is the person
 * id as text. Only a ConsentedPersons opens identifiers here, so nobody the gate refused is sent.
 */
import { sql } from 'kysely';
import { ConsentedPersons } from '../consent/consented-persons.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { openIdentifiers } from '../identifiers/identifier-store.ts';
import type { MemberInput } from './identifier-profile.ts';

/** `page`: some of the allowed persons (all when absent); persons the gate did not allow are left out. */
export async function memberInputs(trx: TenantTransaction, keys: IdentifierKeys, allowed: ConsentedPersons, purpose: string, page?: readonly number[]): Promise<MemberInput[]> {
  ConsentedPersons.check(allowed, purpose);
  const personIds = page ? page.filter((id) => allowed.has(id)) : allowed.ids();
  if (personIds.length === 0) return [];
  const { rows } = await sql<{ identifier_id: string; person: string }>`
    select l.identifier_id, coalesce(p.merged_into, p.id) as person
    from identity_links l join persons p on p.tenant_id = l.tenant_id and p.id = l.person_id
    where l.tenant_id = ${trx.tenantId}::uuid
      and (p.id = any(${`{${personIds.join(',')}}`}::bigint[]) or p.merged_into = any(${`{${personIds.join(',')}}`}::bigint[]))
    order by 2, 1`.execute(trx);
  const opened = await openIdentifiers(trx, keys, rows.map((row) => Number(row.identifier_id)));
  const byPerson = new Map<number, MemberInput['identifiers'][number][]>(personIds.map((id) => [id, []]));
  for (const row of rows) {
    const identifier = opened.get(Number(row.identifier_id));
    if (identifier) byPerson.get(Number(row.person))?.push({ type: identifier.type, value: identifier.value, scope: identifier.scope });
  }
  return [...byPerson].map(([person, identifiers]) => ({ key: String(person), identifiers }));
}
