/**
 * Turns an SQL tag's rows into the tag's values: person_id a positive integer, value of the tag's
 * type (numeric arrives from the drivers as a decimal string and is read as a number), at most one
 * row per person for a single-valued tag; a multi-valued tag gathers its rows into one set per
 * person. A null value means "no value" and is skipped. Pure: no I/O.
 */
import { TagError } from './tag-errors.ts';
import { parseTagValue, type TagScalar, type TagShape, type TagValue } from './tag-value-type.ts';

const DECIMAL = /^-?\d+(\.\d+)?$/;

const asNumber = (value: unknown) => (typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value);

const refuse = (detail: string, extensions: Record<string, unknown>): never => {
  throw new TagError('ACCORD_ERR_TAG_SQL_RESULT', detail, extensions);
};

export function collectSqlTagValues(shape: TagShape, rows: ReadonlyArray<{ person_id: unknown; value: unknown }>): Map<number, TagValue> {
  const gathered = new Map<number, TagScalar[]>();
  rows.forEach((row, index) => {
    const personId = asNumber(row.person_id);
    if (typeof personId !== 'number' || !Number.isSafeInteger(personId) || personId <= 0) refuse(`row ${index + 1}: person_id must be a positive integer, got ${JSON.stringify(row.person_id)}`, { row: index + 1 });
    if (row.value === null || row.value === undefined) return;
    const scalar = shape.valueType === 'number' ? asNumber(row.value) : row.value;
    const parsed = parseTagValue({ valueType: shape.valueType, multiValued: false }, scalar);
    if (!parsed.ok) refuse(`row ${index + 1}: value ${JSON.stringify(row.value)} does not fit a ${shape.valueType} tag: ${parsed.problem}`, { row: index + 1, personId });
    const id = personId as number;
    const seen = gathered.get(id);
    if (seen && !shape.multiValued) refuse(`person ${id} has more than one row; a single-valued tag takes one value per person`, { row: index + 1, personId: id });
    if (seen) seen.push(scalar as TagScalar);
    else gathered.set(id, [scalar as TagScalar]);
  });
  const values = new Map<number, TagValue>();
  for (const [personId, scalars] of gathered) {
    const parsed = parseTagValue(shape, shape.multiValued ? scalars : scalars[0]);
    if (!parsed.ok) refuse(`person ${personId}: ${parsed.problem}`, { personId });
    else values.set(personId, parsed.value);
  }
  return values;
}
