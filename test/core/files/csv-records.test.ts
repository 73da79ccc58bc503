import { describe, expect, it } from 'vitest';
import { csvRecords, isBlankRecord, type CsvRecord } from '../../../core/files/csv-records.ts';
import { csvLine } from '../../../core/files/csv-line.ts';

async function parse(...chunks: string[]): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const record of csvRecords((async function* () { yield* chunks; })())) records.push(record);
  return records;
}

describe('CSV records', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks, numbering rows and lines', async () => {
    const records = await parse('a,b,c\r\n1,"x, ""y""","two\r\nlines"\r\n2,,\n3,last,"q"');
    expect(records.map((r) => [r.row, r.line, r.fields])).toEqual([
      [1, 1, ['a', 'b', 'c']],
      [2, 2, ['1', 'x, "y"', 'two\r\nlines']],
      [3, 4, ['2', '', '']],
      [4, 5, ['3', 'last', 'q']],
    ]);
    expect(records.every((r) => r.malformed === undefined)).toBe(true);
  });

  it('gives the same records however the text is cut into chunks', async () => {
    const text = 'h1,h2\r\n"a\r\nb","c""d"\r\n\r\ne,f\r\n';
    const whole = await parse(text);
    const split = await parse(...text.split(''));
    expect(split).toEqual(whole);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4, 5]);
    expect(isBlankRecord(whole[2]!)).toBe(true);
  });

  it('reports text after a closing quote and a quote that never closes', async () => {
    const records = await parse('a,b\n"x"y,z\n"open,\nrest');
    expect(records[1]).toMatchObject({ row: 2, malformed: 'text after the closing quote of column 1' });
    expect(records[2]).toMatchObject({ row: 3, line: 3, malformed: 'column 1 opens a quote that never closes' });
  });
});

describe('CSV lines for spreadsheets', () => {
  it('neutralises formula cells (OWASP CSV injection) reversibly and quotes what needs it', () => {
    expect(csvLine(['=HYPERLINK("http://evil","x")', '+1', '-2', '@SUM(A1)', '\tx', '\rx', "'kept", 'plain', '微信'])).toBe(
      `"'=HYPERLINK(""http://evil"",""x"")",'+1,'-2,'@SUM(A1),'\tx,"'\rx",''kept,plain,微信\r\n`,
    );
  });
});
