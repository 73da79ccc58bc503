/**
 * The shape of a tag's values and the check every value passes before it is stored, whoever sets
 * it (the API, an import, an SQL tag). A multi-valued tag holds a set: stored as a sorted JSON
 * array without duplicates, so equal sets compare equal. Pure: no I/O.
 */
export const tagValueTypes = ['boolean', 'number', 'text'] as const;
export type TagValueType = (typeof tagValueTypes)[number];

export interface TagShape {
  valueType: TagValueType;
  multiValued: boolean;
}

export type TagScalar = boolean | number | string;
export type TagValue = TagScalar | TagScalar[];

export const MAX_TAG_TEXT_LENGTH = 256;
export const MAX_TAG_VALUES_PER_PERSON = 100;

function scalarProblem(type: TagValueType, value: unknown): string | undefined {
  if (type === 'boolean') return typeof value === 'boolean' ? undefined : 'expected true or false';
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value) ? undefined : 'expected a finite number';
  if (typeof value !== 'string' || value.length === 0) return 'expected a non-empty string';
  return value.length > MAX_TAG_TEXT_LENGTH ? `text longer than ${MAX_TAG_TEXT_LENGTH} characters` : undefined;
}

const byValue = (a: TagScalar, b: TagScalar) => (a < b ? -1 : a > b ? 1 : 0);

/** The value as stored, or why it does not fit the tag. */
export function parseTagValue(shape: TagShape, value: unknown): { ok: true; value: TagValue } | { ok: false; problem: string } {
  if (!shape.multiValued) {
    const problem = scalarProblem(shape.valueType, value);
    return problem ? { ok: false, problem } : { ok: true, value: value as TagScalar };
  }
  if (!Array.isArray(value) || value.length === 0) return { ok: false, problem: `expected a non-empty array of ${shape.valueType} values` };
  if (value.length > MAX_TAG_VALUES_PER_PERSON) return { ok: false, problem: `more than ${MAX_TAG_VALUES_PER_PERSON} values` };
  for (const item of value) {
    const problem = scalarProblem(shape.valueType, item);
    if (problem) return { ok: false, problem: `${problem} in the array` };
  }
  return { ok: true, value: [...new Set(value as TagScalar[])].sort(byValue) };
}
