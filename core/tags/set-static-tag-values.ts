/**
 * Bulk set of a static tag's values (API or import): up to 10,000 per call, all validated against
 * the tag before anything is written, in the caller's one transaction. A null value removes the
 * person's value.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';
import { findTag } from './tag-definitions.ts';
import { TagError } from './tag-errors.ts';
import { assertLivePersons, writeTagValues } from './tag-value-store.ts';
import { parseTagValue, type TagValue } from './tag-value-type.ts';

export const MAX_STATIC_VALUES_PER_CALL = 10_000;
const REPORTED = 100;

export interface StaticTagValueInput {
  personId: number;
  value: unknown;
}

export async function setStaticTagValues(trx: TenantTransaction, tagKey: string, items: readonly StaticTagValueInput[], source: string): Promise<{ set: number; removed: number }> {
  if (items.length > MAX_STATIC_VALUES_PER_CALL) throw new TagError('ACCORD_ERR_TAG_VALUE', `at most ${MAX_STATIC_VALUES_PER_CALL} values per call, got ${items.length}`);
  const tag = await findTag(trx, tagKey);
  if (!tag) throw notFound('tag');
  if (tag.kind !== 'static') throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${tagKey} is a ${tag.kind} tag: its values are computed, not set`);

  const shape = { valueType: tag.value_type, multiValued: tag.multi_valued };
  const values = new Map<number, TagValue>();
  const removals = new Set<number>();
  const problems: Array<{ index: number; personId: number; problem: string }> = [];
  items.forEach((item, index) => {
    if (!Number.isSafeInteger(item.personId) || item.personId <= 0) return problems.push({ index, personId: item.personId, problem: 'person id must be a positive integer' });
    if (values.has(item.personId) || removals.has(item.personId)) return problems.push({ index, personId: item.personId, problem: 'person appears twice in this call' });
    if (item.value === null) return removals.add(item.personId);
    const parsed = parseTagValue(shape, item.value);
    if (!parsed.ok) return problems.push({ index, personId: item.personId, problem: parsed.problem });
    values.set(item.personId, parsed.value);
  });
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new TagError('ACCORD_ERR_TAG_VALUE', `${problems.length} value(s) do not fit tag ${tagKey} (${tag.value_type}${tag.multi_valued ? ', multi-valued' : ''}); first at index ${first.index}: ${first.problem}`, { problems: problems.slice(0, REPORTED) });
  }

  await assertLivePersons(trx, [...values.keys(), ...removals]);
  await writeTagValues(trx, tagKey, values, [...removals], source);
  return { set: values.size, removed: removals.size };
}
