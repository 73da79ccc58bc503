/**
 * Lining up the two parties' rows. The brand holds a PSI run's matched persons; the provider holds
 * the same people under its own person ids. Each matched person gets row keys: a hash of the model
 * and each of its identifiers of the type it matched on, which only someone holding that identifier
 * can compute. The brand sends, per row in its order, its keys; the provider finds its person for
 * each (or none), and both keep the rows both found and both parties' gates allowed, in the brand's
 * order. What this tells each side is the matched set itself, which vertical training cannot hide
 * (reference §7, "PSI intersection"), and which matched persons the other side's gate left out.
 */
import { createHash } from 'node:crypto';
import type { Identifier } from '../identifiers/identifier.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { openIdentifiers } from '../identifiers/identifier-store.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

const PAGE = 5_000;

export function rowKey(modelId: string, identifier: Identifier): string {
  return createHash('sha256').update(`accord/scoring/row/v1\0${modelId}\0${identifier.type}\0${identifier.scope}\0${identifier.value}`).digest('hex').slice(0, 32);
}

/** Per person, the row keys of its identifiers of the given types (training: the type it matched on; scoring: the collaboration's). */
export async function rowKeysOf(trx: TenantTransaction, keys: IdentifierKeys, modelId: string, persons: readonly { personId: number; idTypes: readonly string[] }[]): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < persons.length; i += PAGE) {
    const page = persons.slice(i, i + PAGE);
    const links = await trx.selectFrom('identity_links').select(['person_id', 'identifier_id', 'identifier_type']).where('person_id', 'in', page.map((p) => p.personId)).execute();
    const opened = await openIdentifiers(trx, keys, links.map((link) => Number(link.identifier_id)));
    const byPerson = new Map<number, { type: string; key: string }[]>();
    for (const link of links) {
      const identifier = opened.get(Number(link.identifier_id));
      if (!identifier) continue;
      const list = byPerson.get(Number(link.person_id)) ?? [];
      list.push({ type: link.identifier_type, key: rowKey(modelId, identifier) });
      byPerson.set(Number(link.person_id), list);
    }
    for (const person of page) out.push((byPerson.get(person.personId) ?? []).filter((k) => person.idTypes.includes(k.type)).map((k) => k.key).sort().slice(0, 8));
  }
  return out;
}

/** The provider's person for each row's keys, or null; every identifier of `idTypes` is opened once to build the lookup. */
export async function personsOfRowKeys(trx: TenantTransaction, keys: IdentifierKeys, modelId: string, rows: readonly (readonly string[])[], idTypes: readonly string[]): Promise<(number | null)[]> {
  const lookup = new Map<string, number>();
  let after = 0;
  for (;;) {
    const links = await trx
      .selectFrom('identity_links')
      .select(['person_id', 'identifier_id'])
      .where('identifier_type', 'in', [...idTypes])
      .where('identifier_id', '>', after)
      .orderBy('identifier_id')
      .limit(PAGE)
      .execute();
    if (links.length === 0) break;
    const opened = await openIdentifiers(trx, keys, links.map((link) => Number(link.identifier_id)));
    for (const link of links) {
      const identifier = opened.get(Number(link.identifier_id));
      if (identifier) lookup.set(rowKey(modelId, identifier), Number(link.person_id));
    }
    after = Number(links.at(-1)!.identifier_id);
  }
  return rows.map((rowKeys) => {
    for (const key of rowKeys) {
      const person = lookup.get(key);
      if (person !== undefined) return person;
    }
    return null;
  });
}
