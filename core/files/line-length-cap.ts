/**
 * The longest line (NDJSON) or record (CSV) the file readers hold. A file with no line break at
 * all (a 2 GB JSON array, a binary uploaded by mistake, a CSV with an unclosed quote) would
 * otherwise be buffered whole before the first row; past the cap the reader stops at once, naming
 * the line, with memory bounded by the cap plus one chunk. Measured in characters after decoding
 * (UTF-16 code units), so a 1 Mi cap is 1-3 MiB of UTF-8, far above any real profile row.
 */
import { ImportError } from '../consent/import/import-errors.ts';

export const DEFAULT_MAX_LINE_LENGTH = 1_048_576;

export interface LineCapOptions {
  /** Characters; DEFAULT_MAX_LINE_LENGTH when absent. */
  readonly maxLineLength?: number | undefined;
}

export function maxLineLengthOf(options: LineCapOptions): number {
  const max = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxLineLength must be a positive integer, got ${max}`);
  return max;
}

/** `what` is "line 7" or "row 3 (from line 7)". */
export function lineTooLong(what: string, max: number, at: { line: number; row?: number }): ImportError {
  return new ImportError('ACCORD_ERR_IMPORT_LINE_TOO_LONG', `${what} is longer than ${max} characters: is the file really one record per line? Nothing after it was read`, { ...at, maxLineLength: max });
}
