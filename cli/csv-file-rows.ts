/**
 * The rows of a small CSV file a command reads (tag values, an audience list), by column name, with
 * the encoding detected as ingest does. A malformed or ragged row stops the command naming its row.
 */
import { csvRecords, isBlankRecord } from '../core/files/csv-records.ts';
import { decodeTextFile, scanTextFile } from '../core/files/text-file.ts';
import { isIdentifierType, type IdentifierType } from '../core/identifiers/identifier-types.ts';
import { UsageError } from './usage-error.ts';

export interface CsvFileRow {
  /** As a spreadsheet numbers it: the header is row 1. */
  readonly row: number;
  readonly cells: ReadonlyMap<string, string>;
}

export async function readCsvFile(path: string): Promise<{ header: string[]; rows: CsvFileRow[] }> {
  const { detectedEncoding } = await scanTextFile(path);
  let header: string[] | undefined;
  const rows: CsvFileRow[] = [];
  for await (const record of csvRecords(decodeTextFile(path, detectedEncoding))) {
    if (isBlankRecord(record)) continue;
    if (record.malformed) throw new UsageError(`${path} row ${record.row}: ${record.malformed}`);
    if (!header) {
      header = record.fields.map((name) => name.trim());
      continue;
    }
    if (record.fields.length !== header.length) throw new UsageError(`${path} row ${record.row}: ${record.fields.length} columns, the header has ${header.length}`);
    rows.push({ row: record.row, cells: new Map(header.map((name, i) => [name, record.fields[i]!.trim()])) });
  }
  if (!header) throw new UsageError(`${path} is empty: it starts with a header row naming its columns`);
  return { header, rows };
}

/** `email`, `phone`, `wechat_openid@wx123`: an identifier column as import names them; undefined for other columns. */
export function identifierColumn(name: string): { type: IdentifierType; scope: string | undefined } | undefined {
  const at = name.indexOf('@');
  const type = at < 0 ? name : name.slice(0, at);
  return isIdentifierType(type) ? { type, scope: at < 0 ? undefined : name.slice(at + 1) } : undefined;
}
