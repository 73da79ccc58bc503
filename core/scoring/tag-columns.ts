/**
 * A party's model inputs from its own tags: one column per tag over the given persons, in their
 * order. Numbers are taken as they are, booleans as 1/0; a person without a value (or with a text
 * value) gets NaN, which feature columns turn into 0 and label columns into "no label".
 */
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

const PAGE = 10_000;

const asNumber = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : typeof value === 'boolean' ? Number(value) : Number.NaN);

export async function tagColumns(trx: TenantTransaction, tags: readonly string[], persons: readonly number[]): Promise<Float64Array[]> {
  const index = new Map(persons.map((person, i) => [person, i]));
  const columns = tags.map(() => new Float64Array(persons.length).fill(Number.NaN));
  for (let i = 0; i < persons.length; i += PAGE) {
    if (tags.length === 0) break;
    const rows = await trx
      .selectFrom('tag_values')
      .select(['tag_key', 'person_id', 'value'])
      .where('tag_key', 'in', [...tags])
      .where('person_id', '=', anyOf(persons.slice(i, i + PAGE), 'bigint'))
      .execute();
    for (const row of rows) columns[tags.indexOf(row.tag_key)]![index.get(Number(row.person_id))!] = asNumber(row.value);
  }
  return columns;
}

/** Missing feature values count as 0 (the tag's absence). */
export const featureColumns = (columns: Float64Array[]) => columns.map((column) => column.map((value) => (Number.isNaN(value) ? 0 : value)));
