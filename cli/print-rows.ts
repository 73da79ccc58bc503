/**
 * What the listing commands print: an aligned table for people, or with `--json` one JSON document
 * for scripts. Cells are shown as text; objects (a rule, a tag's set of values) as compact JSON.
 * Columns are aligned by display width, so Chinese text (two columns a character) lines up too.
 */

const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;

const cellText = (value: unknown): string => {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

const widthOf = (text: string) => [...text].reduce((width, char) => width + (WIDE.test(char) ? 2 : 1), 0);

/** A table with one header line; `columns` picks and orders what is shown. */
export function tableText<T extends object>(rows: readonly T[], columns: ReadonlyArray<keyof T & string>): string {
  const lines = [columns as readonly string[], ...rows.map((row) => columns.map((column) => cellText(row[column])))];
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => widthOf(line[i]!))));
  return lines.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell + ' '.repeat(widths[i]! - widthOf(cell)))).join('  ')).join('\n');
}

/** Prints `document` as JSON when asked, else `human` (a table or a line). */
export function printResult(json: boolean | undefined, document: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(document, null, 2) : human());
}
