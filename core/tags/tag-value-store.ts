/**
 * Writes and reads tag values. Every write first proves each person is a live person of this tenant
 * (row-level security hides other tenants' persons, so theirs look the same as ones that never
 * existed); an absorbed person is refused too, with the survivor named, so values land where the
 * one-ID graph says the person is.
 */
import { sql } from 'kysely';
import { ConsentedPersons } from '../consent/consented-persons.ts';
import { PROFILING_PURPOSE } from '../consent/profiling-purpose.ts';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { TagError } from './tag-errors.ts';
import type { TagValue } from './tag-value-type.ts';

const CHUNK = 1_000;
const REPORTED = 100;

export async function assertLivePersons(trx: TenantTransaction, personIds: readonly number[]): Promise<void> {
  if (personIds.length === 0) return;
  const found = await trx.selectFrom('persons').select(['id', 'merged_into']).where('id', '=', anyOf(personIds, 'bigint')).execute();
  const byId = new Map(found.map((person) => [person.id, person.merged_into]));
  const unknown = personIds.filter((id) => !byId.has(id));
  const merged = personIds.filter((id) => byId.get(id) != null).map((id) => ({ personId: id, mergedInto: byId.get(id)! }));
  if (unknown.length === 0 && merged.length === 0) return;
  const detail = unknown.length > 0 ? `${unknown.length} person id(s) do not exist in this tenant, e.g. ${unknown[0]}` : `${merged.length} person(s) were merged into others, e.g. ${merged[0]!.personId} into ${merged[0]!.mergedInto}`;
  throw new TagError('ACCORD_ERR_TAG_UNKNOWN_PERSON', detail, { unknownPersonIds: unknown.slice(0, REPORTED), mergedPersons: merged.slice(0, REPORTED) });
}

/** Upserts the given values and deletes the given persons' values of one tag. */
export async function writeTagValues(trx: TenantTransaction, tagKey: string, values: ReadonlyMap<number, TagValue>, removals: readonly number[], source: string): Promise<void> {
  const rows = [...values].map(([personId, value]) => ({ tenant_id: trx.tenantId, tag_key: tagKey, person_id: personId, value: JSON.stringify(value), source }));
  for (let start = 0; start < rows.length; start += CHUNK) {
    await trx
      .insertInto('tag_values')
      .values(rows.slice(start, start + CHUNK))
      .onConflict((oc) => oc.columns(['tenant_id', 'tag_key', 'person_id']).doUpdateSet({ value: (eb) => eb.ref('excluded.value'), source: (eb) => eb.ref('excluded.source'), updated_at: sql`now()` }))
      .execute();
  }
  if (removals.length > 0) await trx.deleteFrom('tag_values').where('tag_key', '=', tagKey).where('person_id', '=', anyOf(removals, 'bigint')).execute();
}

/**
 * Replaces every value of a tag with a computed tag's new result, keeping only the persons the gate
 * allowed for profiling (whoever else the result names gets no value); returns how many were written.
 */
export async function replaceTagValues(trx: TenantTransaction, tagKey: string, values: ReadonlyMap<number, TagValue>, source: string, consented: ConsentedPersons): Promise<number> {
  ConsentedPersons.check(consented, PROFILING_PURPOSE);
  const allowed = new Map([...values].filter(([personId]) => consented.has(personId)));
  await trx.deleteFrom('tag_values').where('tag_key', '=', tagKey).execute();
  await writeTagValues(trx, tagKey, allowed, [], source);
  return allowed.size;
}

export interface StoredTagValue {
  tag: string;
  personId: number;
  value: unknown;
  source: string;
  updatedAt: Date;
}

const toStored = (row: { tag_key: string; person_id: number; value: unknown; source: string; updated_at: Date }): StoredTagValue => ({
  tag: row.tag_key,
  personId: row.person_id,
  value: row.value,
  source: row.source,
  updatedAt: row.updated_at,
});

/** One tag's values in person order, a page at a time. */
export async function listTagValues(trx: TenantTransaction, tagKey: string, page: { limit: number; afterPersonId?: number | undefined }): Promise<StoredTagValue[]> {
  let query = trx.selectFrom('tag_values').select(['tag_key', 'person_id', 'value', 'source', 'updated_at']).where('tag_key', '=', tagKey).orderBy('person_id').limit(page.limit);
  if (page.afterPersonId !== undefined) query = query.where('person_id', '>', page.afterPersonId);
  return (await query.execute()).map(toStored);
}

export async function listPersonTags(trx: TenantTransaction, personId: number): Promise<StoredTagValue[]> {
  const rows = await trx.selectFrom('tag_values').select(['tag_key', 'person_id', 'value', 'source', 'updated_at']).where('person_id', '=', personId).orderBy('tag_key').execute();
  return rows.map(toStored);
}
