/**
 * One row of a consent import (a CSV record under its header, or an NDJSON object) turned into the
 * ledger's event input, or into the reasons it cannot be, each naming the row, column and field.
 * Without a clientEventId the row's id is derived from the import and a hash of the row's content,
 * so importing the same file again yields the same ids and the ledger appends nothing twice.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { eventKinds, regimes } from '../../../consent/consent-event.ts';
import { parseCollectionTime } from '../../../consent/local-time.ts';
import { canonicalJson } from '../../../crypto/canonical-json.ts';
import type { CsvRecord } from '../../files/csv-records.ts';
import { hasUndecodableBytes } from '../../files/text-file.ts';
import type { ConsentEventInput } from '../record-consent-event.ts';
import { ImportError } from './import-errors.ts';

export interface RowIssue {
  row: number;
  line?: number | undefined;
  column?: number | undefined;
  field?: string | undefined;
  /** Errors keep the row out of the ledger (and stop a strict import); warnings are reported only. */
  severity: 'error' | 'warning';
  reason: string;
  detail: string;
  clientEventId?: string | undefined;
}

/** The notice shown, by id or by key, version and language. */
export type NoticeRef = { id: string } | { key: string; version: number; language: string };

export interface ImportedRow {
  row: number;
  line?: number | undefined;
  input: Omit<ConsentEventInput, 'noticeId'>;
  notice: NoticeRef | undefined;
  /** False when the clientEventId was derived from the row. */
  idGiven: boolean;
  /** The column number of a field (CSV), for issues the ledger raises later. */
  columnOf: (field: string) => number | undefined;
}

export interface RowContext {
  importId: string;
  /** IANA zone for collection times without an offset. */
  timeZone: string | undefined;
}

const columns = ['clientEventId', 'subject', 'purpose', 'recipient', 'regime', 'kind', 'noticeId', 'noticeKey', 'noticeVersion', 'noticeLanguage', 'channel', 'source', 'collectedAt', 'subjectIsMinor'] as const;
const requiredColumns = ['subject', 'purpose', 'regime', 'kind', 'channel', 'source', 'collectedAt'];
/** CSV has no nesting: evidence comes as one column per entry, `evidence.formId`. */
const EVIDENCE_COLUMN = /^evidence\.([A-Za-z][A-Za-z0-9_]{0,99})$/;

const text = (max: number) => z.string().min(1).max(max);
/**
 * One consent event's fields as files carry them, its subject aside: the columns of a consent
 * import, and the `consent.` columns of a member row (core/ingest/registration-consent.ts).
 */
export const consentEventFields = z.strictObject({
  clientEventId: text(200).optional(),
  purpose: text(200),
  recipient: text(200).optional(),
  regime: z.enum(regimes),
  kind: z.enum(eventKinds),
  noticeId: z.uuid().optional(),
  noticeKey: text(100).optional(),
  noticeVersion: z.union([z.number(), z.string().regex(/^\d{1,9}$/).transform(Number)]).pipe(z.number().int().positive()).optional(),
  noticeLanguage: text(35).optional(),
  channel: text(100),
  source: text(200),
  collectedAt: text(64),
  subjectIsMinor: z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]).optional(),
  evidence: z.record(z.string().max(100), z.string()).optional(),
});
const rowSchema = consentEventFields.extend({ subject: text(200) });

/** A row's problem with one of its fields. */
export interface FieldProblem {
  field: string;
  reason: string;
  detail: string;
}

/** The notice a row cites (by id, or by key, version and language) and when the consent was collected. */
export function noticeAndTime(
  fields: { noticeId?: string | undefined; noticeKey?: string | undefined; noticeVersion?: number | undefined; noticeLanguage?: string | undefined; collectedAt: string },
  timeZone: string | undefined,
): { notice: NoticeRef | undefined; collectedAt: Date } | FieldProblem {
  const time = parseCollectionTime(fields.collectedAt, timeZone);
  if (!time.ok) return { field: 'collectedAt', reason: time.reason, detail: time.detail };
  const byKey = [fields.noticeKey, fields.noticeVersion, fields.noticeLanguage];
  if (fields.noticeId !== undefined) {
    if (byKey.some((part) => part !== undefined)) return { field: 'noticeId', reason: 'invalid_value', detail: 'give noticeId or noticeKey, noticeVersion and noticeLanguage, not both' };
    return { notice: { id: fields.noticeId }, collectedAt: time.at };
  }
  if (byKey.every((part) => part === undefined)) return { notice: undefined, collectedAt: time.at };
  if (byKey.some((part) => part === undefined)) return { field: 'noticeKey', reason: 'invalid_value', detail: 'a notice by key needs noticeKey, noticeVersion and noticeLanguage together' };
  return { notice: { key: fields.noticeKey!, version: fields.noticeVersion!, language: fields.noticeLanguage! }, collectedAt: time.at };
}

export interface CsvHeader {
  names: string[];
  columnOf: (field: string) => number | undefined;
}

/** The CSV header's column names, checked: known, each once, the required ones present. */
export function checkCsvHeader(header: CsvRecord): CsvHeader {
  const names = header.fields.map((name) => name.trim());
  const fail = (detail: string, column?: number) => {
    throw new ImportError('ACCORD_ERR_IMPORT_HEADER', detail, { row: header.row, line: header.line, ...(column ? { column, field: names[column - 1] } : {}) });
  };
  if (header.malformed) fail(`the header is malformed: ${header.malformed}`);
  names.forEach((name, index) => {
    if (hasUndecodableBytes(name)) fail(`column ${index + 1} of the header is not valid text in the file's encoding; declare the encoding (utf-8 or gb18030)`, index + 1);
    if (!(columns as readonly string[]).includes(name) && !EVIDENCE_COLUMN.test(name)) {
      fail(`unknown column ${JSON.stringify(name)} (column ${index + 1}); known columns: ${columns.join(', ')}, evidence.<key>`, index + 1);
    }
    if (names.indexOf(name) !== index) fail(`column ${JSON.stringify(name)} appears twice (columns ${names.indexOf(name) + 1} and ${index + 1})`, index + 1);
  });
  const missing = requiredColumns.filter((name) => !names.includes(name));
  if (missing.length > 0) fail(`the header lacks the required columns ${missing.join(', ')}`);
  const numbers = new Map(names.map((name, index) => [name, index + 1]));
  return { names, columnOf: (field) => numbers.get(field) };
}

export function rowFromCsv(record: CsvRecord, header: CsvHeader, context: RowContext): ImportedRow | RowIssue[] {
  const at = { row: record.row, line: record.line };
  if (record.malformed) return [{ ...at, severity: 'error', reason: 'malformed_quotes', detail: record.malformed }];
  if (record.fields.length !== header.names.length) {
    const column = Math.min(record.fields.length, header.names.length) + 1;
    return [{ ...at, column, severity: 'error', reason: 'ragged_row', detail: `the row has ${record.fields.length} columns, the header ${header.names.length}` }];
  }
  const fields: Record<string, unknown> = {};
  const evidence: Record<string, string> = {};
  const issues: RowIssue[] = [];
  record.fields.forEach((value, index) => {
    const name = header.names[index]!;
    if (hasUndecodableBytes(value)) {
      issues.push({ ...at, column: index + 1, field: name, severity: 'error', reason: 'encoding', detail: `column ${index + 1} (${name}) is not valid text in the file's encoding; declare the encoding (utf-8 or gb18030)` });
    }
    if (value === '') return;
    const evidenceKey = EVIDENCE_COLUMN.exec(name)?.[1];
    if (evidenceKey) evidence[evidenceKey] = value;
    else fields[name] = value;
  });
  if (issues.length > 0) return issues;
  if (Object.keys(evidence).length > 0) fields.evidence = evidence;
  return rowFromFields(fields, at, header.columnOf, context);
}

const noColumns = () => undefined;

export function rowFromNdjson(line: number, text: string, context: RowContext): ImportedRow | RowIssue[] {
  const at = { row: line, line };
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    // The parser's message quotes the line, which may hold a subject: say only where it is.
    return [{ ...at, severity: 'error', reason: hasUndecodableBytes(text) ? 'encoding' : 'invalid_json', detail: `line ${line} is not valid JSON` }];
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    return [{ ...at, severity: 'error', reason: 'invalid_json', detail: `line ${line} is not a JSON object` }];
  }
  const undecodable = Object.entries(fields).find(([, value]) => JSON.stringify(value).includes('\uFFFD'));
  if (undecodable) {
    return [{ ...at, field: undecodable[0], severity: 'error', reason: 'encoding', detail: `${undecodable[0]} is not valid text in the file's encoding; declare the encoding (utf-8 or gb18030)` }];
  }
  return rowFromFields(fields as Record<string, unknown>, at, noColumns, context);
}

function rowFromFields(
  fields: Record<string, unknown>,
  at: { row: number; line: number },
  columnOf: (field: string) => number | undefined,
  context: RowContext,
): ImportedRow | RowIssue[] {
  const issue = (field: string, reason: string, detail: string): RowIssue => ({ ...at, column: columnOf(field), field, severity: 'error', reason, detail });
  const parsed = rowSchema.safeParse(fields);
  if (!parsed.success) {
    return parsed.error.issues.map((problem) => {
      const field = String(problem.path[0] ?? '');
      if (problem.code === 'unrecognized_keys') return issue(problem.keys.join(', '), 'unknown_field', `unknown fields ${problem.keys.join(', ')}; known fields: ${columns.join(', ')}, evidence`);
      return issue(field, 'invalid_value', `${problem.path.join('.') || 'row'}: ${problem.message}`);
    });
  }
  const row = parsed.data;
  const cited = noticeAndTime(row, context.timeZone);
  if ('field' in cited) return [issue(cited.field, cited.reason, cited.detail)];

  let clientEventId = row.clientEventId;
  if (clientEventId === undefined) {
    try {
      const digest = createHash('sha256').update(canonicalJson(fields)).digest('hex').slice(0, 32);
      clientEventId = `import:${context.importId}:${digest}`;
    } catch (error) {
      return [issue('row', 'invalid_value', (error as Error).message)];
    }
  }
  return {
    ...at,
    notice: cited.notice,
    idGiven: row.clientEventId !== undefined,
    columnOf,
    input: {
      clientEventId,
      subject: row.subject,
      purpose: row.purpose,
      recipient: row.recipient,
      regime: row.regime,
      kind: row.kind,
      channel: row.channel,
      source: row.source,
      evidence: row.evidence,
      collectedAt: cited.collectedAt,
      subjectIsMinor: row.subjectIsMinor,
    },
  };
}
