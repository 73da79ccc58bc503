/**
 * Ingest records from a streamed file (CSV with a header row, or NDJSON) or from a JSON batch, as
 * source rows for the pipeline. Files are read through core/files, never whole into memory.
 */
import { csvRecords, isBlankRecord } from '../files/csv-records.ts';
import { decodeTextFile, type TextEncoding } from '../files/text-file.ts';
import { textLines } from '../files/text-lines.ts';
import { ImportError } from '../consent/import/import-errors.ts';
import { headerProblems, type IngestKind } from './ingest-columns.ts';
import type { SourceRow } from './ingest-row.ts';

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON record's keys as cells; anything but an object is a broken row. */
export function jsonSourceRow(row: number, line: number | undefined, value: unknown): SourceRow {
  if (!isPlainObject(value)) return { row, line, cells: [], broken: { row, line, reason: 'not_an_object', detail: 'each record is a JSON object of column → value' } };
  return { row, line, cells: Object.entries(value).map(([name, cell]) => ({ name, value: cell })) };
}

export async function* fileSourceRows(
  path: string,
  kind: IngestKind,
  format: 'csv' | 'ndjson',
  encoding: TextEncoding,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<SourceRow> {
  const text = decodeTextFile(path, encoding, onBytes);
  if (format === 'ndjson') {
    for await (const { line, text: json } of textLines(text)) {
      if (json.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(json);
      } catch {
        yield { row: line, line, cells: [], broken: { row: line, line, reason: 'invalid_json', detail: 'the line is not valid JSON' } };
        continue;
      }
      yield jsonSourceRow(line, line, value);
    }
    return;
  }
  let header: string[] | undefined;
  for await (const record of csvRecords(text)) {
    if (isBlankRecord(record)) continue;
    if (!header) {
      header = record.fields.map((name) => name.trim());
      const problems = record.malformed ? [record.malformed] : headerProblems(kind, header);
      if (problems.length > 0) throw new ImportError('ACCORD_ERR_IMPORT_HEADER', `header row: ${problems.join('; ')}`, { row: record.row, line: record.line });
      continue;
    }
    const at = { row: record.row, line: record.line };
    if (record.malformed) yield { ...at, cells: [], broken: { ...at, reason: 'malformed_row', detail: record.malformed } };
    else if (record.fields.length !== header.length) {
      yield { ...at, cells: [], broken: { ...at, reason: 'ragged_row', detail: `the row has ${record.fields.length} columns, the header ${header.length}` } };
    } else yield { row: record.row, line: record.line, cells: header.map((name, index) => ({ name, column: index + 1, value: record.fields[index] })) };
  }
  if (!header) throw new ImportError('ACCORD_ERR_IMPORT_HEADER', `the file is empty; a CSV ${kind} file starts with a header row naming its columns`);
}
