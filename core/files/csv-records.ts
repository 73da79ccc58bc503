/**
 * RFC 4180 records from streamed text: comma-separated, fields quoted with `"` may hold commas,
 * doubled quotes and line breaks; records end at CRLF, LF or CR. Rows are numbered as a spreadsheet
 * shows them (a record spanning lines is one row) and each carries the line it starts on.
 * A malformed record (text after a closing quote, an unterminated quote) is reported, not fatal;
 * a record longer than the cap (line-length-cap.ts), often a quote that never closes, stops the
 * reading as soon as the cap is passed.
 */
import { lineTooLong, maxLineLengthOf, type LineCapOptions } from './line-length-cap.ts';

export interface CsvRecord {
  /** 1-based; the header is row 1. */
  row: number;
  /** The physical line the record starts on. */
  line: number;
  fields: string[];
  /** What is wrong with the record's quoting, if anything. */
  malformed?: string | undefined;
}

export async function* csvRecords(text: AsyncIterable<string>, options: LineCapOptions = {}): AsyncGenerator<CsvRecord> {
  const max = maxLineLengthOf(options);
  let length = 0; // characters of the record so far, its delimiters and quotes included
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // a quoted field just closed (or a `"` that may be an escaped quote)
  let fieldStarted = false;
  let malformed: string | undefined;
  let row = 0;
  let line = 1;
  let recordLine = 1;
  let skipLf = false; // the previous character was a CR ending a record
  let crInQuotes = false; // the previous character was a CR inside a quoted field

  const endRecord = (): CsvRecord => {
    fields.push(field);
    const record = { row: ++row, line: recordLine, fields, malformed };
    fields = [];
    field = '';
    fieldStarted = false;
    afterQuote = false;
    malformed = undefined;
    recordLine = line;
    length = 0;
    return record;
  };

  for await (const chunk of text) {
    for (let i = 0; i < chunk.length; i += 1) {
      const c = chunk[i]!;
      if (skipLf) {
        skipLf = false;
        if (c === '\n') continue;
      }
      if (++length > max + 1) throw lineTooLong(`row ${row + 1} (from line ${recordLine})`, max, { row: row + 1, line: recordLine });
      if (quoted) {
        if (c === '"') {
          quoted = false;
          afterQuote = true;
          crInQuotes = false;
        } else {
          if (c === '\r' || (c === '\n' && !crInQuotes)) line += 1;
          crInQuotes = c === '\r';
          field += c;
        }
        continue;
      }
      if (afterQuote && c === '"') {
        // `""` inside a quoted field is one quote.
        field += '"';
        quoted = true;
        afterQuote = false;
        continue;
      }
      if (c === ',') {
        fields.push(field);
        field = '';
        fieldStarted = false;
        afterQuote = false;
      } else if (c === '\n' || c === '\r') {
        line += 1;
        skipLf = c === '\r';
        yield endRecord();
      } else if (c === '"' && !fieldStarted) {
        quoted = true;
        fieldStarted = true;
      } else {
        if (afterQuote) malformed ??= `text after the closing quote of column ${fields.length + 1}`;
        field += c;
        fieldStarted = true;
      }
    }
  }
  if (length > max) throw lineTooLong(`row ${row + 1} (from line ${recordLine})`, max, { row: row + 1, line: recordLine });
  if (quoted) {
    malformed ??= `column ${fields.length + 1} opens a quote that never closes`;
    yield endRecord();
  } else if (fields.length > 0 || fieldStarted || afterQuote) {
    yield endRecord();
  }
}

/** A record with one empty field and no quotes: a blank line. */
export const isBlankRecord = (record: CsvRecord) => record.fields.length === 1 && record.fields[0] === '' && !record.malformed;
