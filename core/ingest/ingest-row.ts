/**
 * One ingest record (a CSV row, an NDJSON line, an element of a JSON batch) checked and turned into
 * what the chunk writer needs: canonical identifiers and the kind's payload, or every problem of
 * the row with its column and a stable reason. Pure: no I/O.
 */
import { canonicalJson } from '../../crypto/canonical-json.ts';
import type { Identifier } from '../identifiers/identifier.ts';
import { normaliseIdentifier } from '../identifiers/normalise-identifier.ts';
import { MAX_IDENTIFIERS_PER_RECORD } from '../one-id/resolve-persons.ts';
import { fieldsOfKind, type ColumnRoles, type IngestKind } from './ingest-columns.ts';
import { parseRegistrationConsent, type RegistrationConsent } from './registration-consent.ts';

export interface IngestIssue {
  /** CSV: the spreadsheet row (header is 1); NDJSON: the line; JSON batch: the record's 1-based position. */
  readonly row: number;
  readonly line?: number | undefined;
  readonly column?: number | undefined;
  readonly field?: string | undefined;
  readonly reason: string;
  readonly detail: string;
}

export interface SourceCell {
  readonly name: string;
  /** 1-based CSV column; absent for JSON keys. */
  readonly column?: number | undefined;
  readonly value: unknown;
}

export interface SourceRow {
  readonly row: number;
  readonly line?: number | undefined;
  readonly cells: readonly SourceCell[];
  /** Set when the record could not even be split into cells (bad quoting, invalid JSON). */
  readonly broken?: IngestIssue | undefined;
}

export interface RowIdentifier {
  readonly identifier: Identifier;
  readonly field: string;
  readonly column?: number | undefined;
}

export interface OrderItemInput {
  readonly sku: string;
  readonly category: string | null;
  readonly quantity: number;
  readonly amount: string;
}

export interface OrderInput {
  readonly externalId: string;
  readonly placedAt: Date;
  readonly amount: string;
  readonly currency: string;
  readonly channel: string;
  readonly status: 'paid' | 'refunded' | 'cancelled';
  readonly items: readonly OrderItemInput[];
}

export interface EventInput {
  readonly externalId: string;
  readonly type: string;
  readonly occurredAt: Date;
  readonly channel: string;
  /** Canonical JSON of the properties object. */
  readonly properties: string;
}

export interface ParsedRow {
  readonly row: number;
  readonly line?: number | undefined;
  readonly identifiers: readonly RowIdentifier[];
  /** Member attributes as (key, JSON text). */
  readonly attributes: ReadonlyArray<readonly [string, string]>;
  readonly order?: OrderInput | undefined;
  readonly event?: EventInput | undefined;
  /** Members only: the consent the person gave at registration, recorded with the row. */
  readonly consent?: RegistrationConsent | undefined;
}

const MAX_TEXT = 200;
const MAX_JSON = 16_384;
const MAX_ITEMS = 1_000;
const UNDECODABLE = '\uFFFD';
// ISO 8601 date and time with a UTC offset; a time without one would be read in the server's zone.
const TIME_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})$/i;
const DECIMAL = /^\d{1,12}(?:\.\d{1,2})?$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const EVENT_TYPE = /^[a-z][a-z0-9_.]{0,62}$/;
const statuses = ['paid', 'refunded', 'cancelled'] as const;

class RowProblem extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(detail);
  }
}

const isBlank = (value: unknown) => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

function text(value: unknown, max = MAX_TEXT): string {
  if (typeof value !== 'string') throw new RowProblem('not_text', 'expected text');
  const trimmed = value.normalize('NFC').trim();
  if (trimmed.length > max) throw new RowProblem('too_long', `at most ${max} characters`);
  return trimmed;
}

function time(value: unknown): Date {
  const match = TIME_WITH_OFFSET.exec(text(value, 64));
  const offset = match?.[3]?.toUpperCase();
  const date = match && new Date(`${match[1]}T${match[2]}${offset === 'Z' ? 'Z' : `${offset!.slice(0, 3)}:${offset!.slice(-2)}`}`);
  if (!date || Number.isNaN(date.getTime())) throw new RowProblem('invalid_time', 'expected an ISO 8601 date and time with a UTC offset, like 2024-06-18T20:15:00+08:00');
  return date;
}

function decimal(value: unknown): string {
  if (typeof value !== 'string') throw new RowProblem('invalid_amount', 'amounts are decimal strings like "199.00" (a JSON number may already be rounded)');
  const amount = value.trim();
  if (!DECIMAL.test(amount)) throw new RowProblem('invalid_amount', 'expected a non-negative amount with at most 2 decimals, like 199.00');
  return amount;
}

/** A JSON value: parsed from text in CSV, taken as it is from JSON records. */
function json(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new RowProblem('invalid_json', 'not valid JSON');
  }
}

function items(value: unknown): OrderItemInput[] {
  const list = json(value);
  if (!Array.isArray(list)) throw new RowProblem('invalid_items', 'items is a JSON array of {sku, quantity, amount, category?}');
  if (list.length > MAX_ITEMS) throw new RowProblem('invalid_items', `at most ${MAX_ITEMS} items per order`);
  return list.map((item: unknown, index) => {
    const at = `item ${index + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new RowProblem('invalid_items', `${at} is not an object`);
    const { sku, quantity, amount, category } = item as Record<string, unknown>;
    if (typeof sku !== 'string' || sku.trim() === '' || sku.length > MAX_TEXT) throw new RowProblem('invalid_items', `${at}: sku is 1-${MAX_TEXT} characters`);
    if (!Number.isSafeInteger(quantity) || (quantity as number) < 1) throw new RowProblem('invalid_items', `${at}: quantity is a positive integer`);
    if (category !== undefined && category !== null && (typeof category !== 'string' || category.length > MAX_TEXT)) throw new RowProblem('invalid_items', `${at}: category is text`);
    let price: string;
    try {
      price = decimal(amount);
    } catch (error) {
      throw new RowProblem('invalid_items', `${at}: ${(error as Error).message}`);
    }
    return { sku: sku.trim(), category: (category as string | undefined) ?? null, quantity: quantity as number, amount: price };
  });
}

function properties(value: unknown): string {
  const object = json(value);
  if (typeof object !== 'object' || object === null || Array.isArray(object)) throw new RowProblem('invalid_properties', 'properties is a JSON object');
  const canonical = canonicalJson(object);
  if (canonical.length > MAX_JSON) throw new RowProblem('invalid_properties', `properties may have at most ${MAX_JSON} characters of JSON`);
  return canonical;
}

/** An attribute value: text from CSV, any JSON value from JSON records. */
function attribute(value: unknown): string {
  const canonical = canonicalJson(typeof value === 'string' ? value.normalize('NFC').trim() : value);
  if (canonical.length > MAX_JSON) throw new RowProblem('too_long', `an attribute may have at most ${MAX_JSON} characters of JSON`);
  return canonical;
}

/** What reading one record's own fields needs; module-level helpers take it rather than closures made per row. */
interface RowFields {
  readonly kind: IngestKind;
  readonly at: { readonly row: number; readonly line: number | undefined };
  readonly cells: ReadonlyMap<string, SourceCell>;
  readonly issues: IngestIssue[];
}

function readField<T>(fields: RowFields, name: string, read: (value: unknown) => T): T | undefined {
  const cell = fields.cells.get(name);
  if (!cell) {
    if ((fieldsOfKind[fields.kind].required as readonly string[]).includes(name)) fields.issues.push({ ...fields.at, field: name, reason: 'missing_field', detail: `${name} is required` });
    return undefined;
  }
  try {
    return read(cell.value);
  } catch (error) {
    if (!(error instanceof RowProblem)) throw error;
    fields.issues.push({ ...fields.at, column: cell.column, field: name, reason: error.reason, detail: `${name}: ${error.message}` });
    return undefined;
  }
}

function nonEmpty(value: unknown): string {
  const result = text(value);
  if (result === '') throw new RowProblem('missing_field', 'is empty');
  return result;
}

function currency(value: unknown): string {
  const code = text(value, 3);
  if (!CURRENCY.test(code)) throw new RowProblem('invalid_currency', 'expected an ISO 4217 code like CNY');
  return code.toUpperCase();
}

function orderStatus(value: unknown): OrderInput['status'] {
  const status = text(value).toLowerCase();
  if (!(statuses as readonly string[]).includes(status)) throw new RowProblem('invalid_status', `expected one of ${statuses.join(', ')}`);
  return status as OrderInput['status'];
}

function eventType(value: unknown): string {
  const type = text(value, 63);
  if (!EVENT_TYPE.test(type)) throw new RowProblem('invalid_event_type', 'lower-case letters, digits, _ and . starting with a letter, like page.view');
  return type;
}

/** An issue of one cell. */
const cellIssue = (source: SourceRow, cell: SourceCell, reason: string, detail: string): IngestIssue => ({ row: source.row, line: source.line, column: cell.column, field: cell.name, reason, detail });

export function parseRow(kind: IngestKind, roles: ColumnRoles, source: SourceRow): ParsedRow | IngestIssue[] {
  if (source.broken) return [source.broken];
  const at = { row: source.row, line: source.line };
  const issues: IngestIssue[] = [];
  const identifiers: RowIdentifier[] = [];
  const attributes: Array<readonly [string, string]> = [];
  // Hot path: no closures or objects per cell unless the cell has a problem.
  let cells: Map<string, SourceCell> | undefined;
  /** The row's `consent.` cells by field, blank ones too: a missing field is named with its column. */
  let consentCells: Map<string, SourceCell> | undefined;
  for (const cell of source.cells) {
    if (typeof cell.value === 'string' && cell.value.includes(UNDECODABLE)) {
      issues.push(cellIssue(source, cell, 'undecodable_bytes', 'bytes that are not valid in the file encoding (send UTF-8, or GBK/GB18030 declared as such)'));
      continue;
    }
    const role = roles.of(cell.name);
    if ('error' in role) {
      issues.push(cellIssue(source, cell, 'unknown_field', role.error));
      continue;
    }
    if (role.role === 'consent') {
      (consentCells ??= new Map()).set(role.field, cell);
      continue;
    }
    if (isBlank(cell.value)) continue;
    try {
      if (role.role === 'identifier') {
        const normalised = normaliseIdentifier({ type: role.type, value: cell.value, scope: role.scope });
        if (!normalised.ok) issues.push(cellIssue(source, cell, normalised.reason, normalised.detail));
        else identifiers.push({ identifier: normalised, field: cell.name, column: cell.column });
      } else if (role.role === 'attribute') attributes.push([role.key, attribute(cell.value)]);
      else (cells ??= new Map()).set(role.name, cell);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      issues.push(cellIssue(source, cell, error.reason, error.message));
    }
  }

  const fields: RowFields = { kind, at, cells: cells ?? noCells, issues };
  let order: OrderInput | undefined;
  let event: EventInput | undefined;
  let consent: RegistrationConsent | undefined;
  if (kind === 'members') {
    const memberId = readField(fields, 'member_id', nonEmpty);
    if (memberId !== undefined) attributes.push(['member_id', canonicalJson(memberId)]);
    const given = consentCells && new Map([...consentCells].filter(([, cell]) => !isBlank(cell.value)));
    const parsed = given && given.size > 0 ? parseRegistrationConsent(given, consentCells!) : undefined;
    if (Array.isArray(parsed)) issues.push(...parsed.map((problem) => ({ ...at, ...problem })));
    else consent = parsed;
  } else if (kind === 'orders') {
    const values = {
      externalId: readField(fields, 'order_id', nonEmpty),
      placedAt: readField(fields, 'placed_at', time),
      amount: readField(fields, 'amount', decimal),
      currency: readField(fields, 'currency', currency),
      channel: readField(fields, 'channel', nonEmpty),
      status: readField(fields, 'status', orderStatus),
      items: readField(fields, 'items', items) ?? [],
    };
    if (issues.length === 0) order = values as OrderInput;
  } else {
    const values = {
      externalId: readField(fields, 'event_id', nonEmpty),
      type: readField(fields, 'type', eventType),
      occurredAt: readField(fields, 'occurred_at', time),
      channel: readField(fields, 'channel', nonEmpty),
      properties: readField(fields, 'properties', properties) ?? '{}',
    };
    if (issues.length === 0) event = values as EventInput;
  }

  if (issues.length === 0 && identifiers.length === 0) issues.push({ ...at, reason: 'no_identifier', detail: 'the row has no identifier, so it cannot be matched to anyone' });
  if (identifiers.length > MAX_IDENTIFIERS_PER_RECORD) issues.push({ ...at, reason: 'too_many_identifiers', detail: `at most ${MAX_IDENTIFIERS_PER_RECORD} identifiers per row` });
  if (issues.length > 0) return issues;
  return { row: source.row, line: source.line, identifiers, attributes, order, event, consent };
}

const noCells: ReadonlyMap<string, SourceCell> = new Map();
