/**
 * Erasure of what first-party ingest holds about a resolved person (`person:<id>`): the identifiers
 * linked to them and to every person merged into them are turned into suppression tombstones (every
 * hashed form, so a re-import of the raw email or of its SHA-256 is refused), then the identifier
 * rows (their sealed values), the graph links, attributes, orders, behaviour events and tag values
 * are deleted.
 * The person row stays as a bare id: consent events and identity events refer to it.
 */
import { tombstonesOf } from '../identifiers/identifier-hashes.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { openIdentifiers } from '../identifiers/identifier-store.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { Tombstone } from './suppression.ts';

const PERSON_SUBJECT = /^person:([1-9][0-9]{0,17})$/;

export interface PersonDataErased {
  readonly identifiers: number;
  readonly attributes: number;
  readonly orders: number;
  readonly events: number;
}

/** The person id of a person subject, or undefined for any other subject reference. */
export function personIdOf(subject: string): number | undefined {
  const match = PERSON_SUBJECT.exec(subject);
  return match ? Number(match[1]) : undefined;
}

/** The person and every person merged into them: one person to erase, export or gate. */
export async function personWithAbsorbed(trx: TenantTransaction, personId: number): Promise<number[]> {
  const absorbed = await trx.selectFrom('persons').select('id').where('merged_into', '=', personId).execute();
  return [personId, ...absorbed.map((row) => Number(row.id))];
}

/** Deletes the first-party data of a person and those merged into them (personWithAbsorbed), and returns the tombstones that keep them from coming back. */
export async function erasePersonData(trx: TenantTransaction, keys: IdentifierKeys, personIds: readonly number[]): Promise<{ erased: PersonDataErased; tombstones: Tombstone[] }> {
  const links = await trx.selectFrom('identity_links').select('identifier_id').where('person_id', 'in', personIds).execute();
  const identifierIds = links.map((link) => link.identifier_id);
  const opened = identifierIds.length > 0 ? await openIdentifiers(trx, keys, identifierIds) : new Map();
  const tombstones = [...opened.values()].flatMap((identifier) => tombstonesOf(trx.tenantId, identifier));

  if (identifierIds.length > 0) {
    await trx.deleteFrom('identity_links').where('identifier_id', 'in', identifierIds).execute();
    await trx.deleteFrom('identifiers').where('id', 'in', identifierIds).execute();
  }
  const attributes = await trx.deleteFrom('person_attributes').where('person_id', 'in', personIds).executeTakeFirst();
  const orderIds = (await trx.selectFrom('orders').select('id').where('person_id', 'in', personIds).execute()).map((row) => row.id);
  if (orderIds.length > 0) await trx.deleteFrom('order_items').where('order_id', 'in', orderIds).execute();
  const orders = await trx.deleteFrom('orders').where('person_id', 'in', personIds).executeTakeFirst();
  const events = await trx.deleteFrom('behaviour_events').where('person_id', 'in', personIds).executeTakeFirst();
  await trx.deleteFrom('tag_values').where('person_id', 'in', personIds).execute();
  return {
    erased: { identifiers: opened.size, attributes: Number(attributes.numDeletedRows), orders: Number(orders.numDeletedRows), events: Number(events.numDeletedRows) },
    tombstones,
  };
}
