/**
 * One CSV line for files people open in Excel or WPS. Cells that a spreadsheet would run as a
 * formula (starting with =, +, -, @, tab or CR; OWASP "CSV injection") get a leading apostrophe.
 * Cells already starting with an apostrophe get one too, so the escaping is reversible: a reader
 * drops one leading apostrophe from any cell that has one and gets the original value back.
 */
const FORMULA_START = /^[=+\-@\t\r']/;
const NEEDS_QUOTES = /[",\r\n]/;

export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export function csvLine(cells: ReadonlyArray<string | number | null | undefined>): string {
  return `${cells
    .map((cell) => {
      const text = neutraliseFormula(cell == null ? '' : String(cell));
      return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(',')}\r\n`;
}

/** Excel reads UTF-8 only when the file starts with a byte order mark. */
export const UTF8_BOM = '\uFEFF';
