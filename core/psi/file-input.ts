/**
 * A party's PSI input from a file, for `accord psi join`: a CSV with a header (identifiers in named
 * columns) or a plain list (one identifier a line). Every value goes through the one normaliser the
 * nodes use (core/identifiers), so the same person gives the same digest on both sides; what the
 * normaliser refuses is counted by reason and row, never sent, and never echoed (no raw value leaves
 * this module except as its digest). Within an identifier type a digest is sent once, for the first
 * row that has it. A row's number (as a spreadsheet numbers it) is its person id, so a match can be
 * traced back to the row it came from.
 */
import { csvRecords, isBlankRecord } from '../files/csv-records.ts';
import { fileErrorReason } from '../files/file-error-reason.ts';
import { decodeTextFile, scanTextFile, type TextEncoding } from '../files/text-file.ts';
import { textLines } from '../files/text-lines.ts';
import { AccordError } from '../errors.ts';
import type { RejectionReason } from '../identifiers/identifier.ts';
import { hashedTypeParts, isBaseType, isIdentifierType, type BaseType, type IdentifierType } from '../identifiers/identifier-types.ts';
import { normaliseIdentifier } from '../identifiers/normalise-identifier.ts';
import { isPsiIdType, PSI_DIGEST_BYTES, writePsiDigest } from './psi-digest.ts';
import { packDigests, type PsiInputSet } from './psi-input.ts';

export type FileLayout = 'csv' | 'list';

export interface FileInputColumn {
  /** As the file holds it: `phone`, or `phone_sha256` for SHA-256 hashes of normalised numbers. */
  readonly type: IdentifierType;
  /** The CSV column; undefined: a column named after the type, or a plain list when there is none. */
  readonly column?: string | undefined;
}

export interface FileInputOptions {
  readonly columns: readonly FileInputColumn[];
  /** ISO 3166 region for national phone numbers (the normaliser's default when absent). */
  readonly defaultRegion?: string | undefined;
  /** Hears how many data rows were read so far, every PROGRESS_ROWS rows and at the end. */
  readonly onRows?: (rows: number) => void;
}

/** Why a value was left out: the normaliser's reason, or a CSV row that could not be read. */
export type FileInputRejection = RejectionReason | 'row_malformed';

export interface FileInput {
  readonly shape: FileShape;
  /** Data rows read (the header and blank lines not counted). */
  readonly rows: number;
  /** By the identifier type matched on (`phone` for both phone and phone_sha256 columns). */
  readonly sets: ReadonlyMap<string, PsiInputSet>;
  /** Values left out, by reason; `rows` names the first rows that had one, `moreRows` says whether others did too. */
  readonly rejected: { readonly count: number; readonly byReason: Partial<Record<FileInputRejection, number>>; readonly rows: readonly number[]; readonly moreRows: boolean };
  /** Values whose digest an earlier row already gave. */
  readonly duplicates: number;
  /** Empty cells of identifier columns. */
  readonly blank: number;
}

export interface FileRecord {
  /** 1-based, as a spreadsheet numbers it; a CSV's header is row 1. */
  readonly row: number;
  readonly fields: readonly string[];
  readonly malformed: boolean;
}

const PROGRESS_ROWS = 10_000;
/** Rows named in the report of refused values; the counts cover the rest. */
const REPORTED_ROWS = 20;

/** The identifier type a file type is matched as; undefined when it cannot take part (scoped types, MD5). */
export function psiTypeOfFileType(type: string): BaseType | undefined {
  if (!isIdentifierType(type)) return undefined;
  if (isBaseType(type)) return isPsiIdType(type) ? type : undefined;
  const hashed = hashedTypeParts(type);
  return hashed?.hash === 'sha256' && isPsiIdType(hashed.base) ? hashed.base : undefined;
}

/** How the file is read: its layout, the CSV header (empty for a list) and its text encoding. */
export interface FileShape {
  readonly layout: FileLayout;
  readonly header: readonly string[];
  readonly encoding: TextEncoding;
}

/** The file's records: every CSV record (header included), or every non-blank line of a list as one field. */
export async function* fileRecords(path: string, shape: Pick<FileShape, 'layout' | 'encoding'>): AsyncGenerator<FileRecord> {
  const text = decodeTextFile(path, shape.encoding);
  if (shape.layout === 'list') {
    for await (const { line, text: value } of textLines(text)) {
      if (value.trim() !== '') yield { row: line, fields: [value.trim()], malformed: false };
    }
    return;
  }
  for await (const record of csvRecords(text)) {
    if (!isBlankRecord(record)) yield { row: record.row, fields: record.fields, malformed: record.malformed !== undefined };
  }
}

const columnName = (column: FileInputColumn) => column.column ?? column.type;

/**
 * A CSV when the first row names every identifier column; a plain list when one identifier type was
 * asked for without naming a column and the first row is a single value, not a CSV header.
 */
export async function fileShapeOf(path: string, columns: readonly FileInputColumn[]): Promise<FileShape> {
  let encoding: TextEncoding;
  try {
    encoding = (await scanTextFile(path)).detectedEncoding;
  } catch (error) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `cannot read ${path}: ${fileErrorReason(error)}`);
  }
  let first: FileRecord | undefined;
  for await (const record of fileRecords(path, { layout: 'csv', encoding })) {
    first = record;
    break;
  }
  if (!first) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${path} has no rows`);
  const header = first.fields.map((name) => name.trim());
  const missing = columns.map(columnName).filter((name) => !header.includes(name));
  if (missing.length === 0) return { layout: 'csv', header, encoding };
  if (columns.length === 1 && columns[0]!.column === undefined && first.fields.length === 1) return { layout: 'list', header: [], encoding };
  throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${path} has no column ${missing.join(', ')} in its header row (${header.join(', ')}); name the column with --column`);
}

interface TypeElements {
  persons: number[];
  digests: Uint8Array[];
  seen: Set<string>;
}

export async function readFileInput(path: string, options: FileInputOptions): Promise<FileInput> {
  const columns = options.columns.map((column) => {
    const psiType = psiTypeOfFileType(column.type);
    if (!psiType) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${column.type} cannot be matched: PSI takes email, phone, idfa, oaid, imei, android_id, or their _sha256 forms`);
    return { ...column, psiType };
  });
  if (columns.length === 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'name at least one identifier type');
  const shape = await fileShapeOf(path, columns);
  const { layout, header } = shape;
  const positions = columns.map((column) => (layout === 'list' ? 0 : header.indexOf(columnName(column))));
  const elements = new Map<BaseType, TypeElements>(columns.map((column) => [column.psiType, { persons: [], digests: [], seen: new Set() }]));
  const byReason: Partial<Record<FileInputRejection, number>> = {};
  const rejectedRows: number[] = [];
  let rejectedCount = 0;
  let lastRejectedRow = 0;
  let moreRows = false;
  let rows = 0;
  let duplicates = 0;
  let blank = 0;
  const reject = (row: number, reason: FileInputRejection) => {
    rejectedCount++;
    byReason[reason] = (byReason[reason] ?? 0) + 1;
    if (row === lastRejectedRow) return;
    lastRejectedRow = row;
    if (rejectedRows.length < REPORTED_ROWS) rejectedRows.push(row);
    else moreRows = true;
  };

  for await (const record of fileRecords(path, shape)) {
    if (layout === 'csv' && record.row === 1) continue;
    rows++;
    if (rows % PROGRESS_ROWS === 0) options.onRows?.(rows);
    if (record.malformed || (layout === 'csv' && record.fields.length !== header.length)) {
      reject(record.row, 'row_malformed');
      continue;
    }
    columns.forEach((column, i) => {
      const value = record.fields[positions[i]!]!.trim();
      if (value === '') {
        blank++;
        return;
      }
      const normalised = normaliseIdentifier({ type: column.type, value, region: options.defaultRegion });
      if (!normalised.ok) {
        reject(record.row, normalised.reason);
        return;
      }
      const digest = new Uint8Array(PSI_DIGEST_BYTES);
      writePsiDigest(normalised, digest, 0);
      const set = elements.get(column.psiType)!;
      const seenKey = Buffer.from(digest).toString('base64');
      if (set.seen.has(seenKey)) {
        duplicates++;
        return;
      }
      set.seen.add(seenKey);
      set.persons.push(record.row);
      set.digests.push(digest);
    });
  }
  options.onRows?.(rows);
  const sets = new Map<string, PsiInputSet>();
  for (const [idType, set] of elements) sets.set(idType, { idType, personIds: Float64Array.from(set.persons), digests: packDigests(set.digests) });
  return { shape, rows, sets, rejected: { count: rejectedCount, byReason, rows: rejectedRows, moreRows }, duplicates, blank };
}
