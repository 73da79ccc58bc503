import { describe, expect, it } from 'vitest';
import { csvRecords } from '../../../core/files/csv-records.ts';
import { DEFAULT_MAX_LINE_LENGTH } from '../../../core/files/line-length-cap.ts';
import { textLines } from '../../../core/files/text-lines.ts';

const CHUNK = 64 * 1024;
const FIFTY_MB = 50 * 1024 * 1024;

/** `total` characters of `fill` with no line break, in 64 Ki chunks, counting how many were pulled. */
function endlessLine(total: number, fill = 'x', prefix = '') {
  const pulled = { chunks: 0 };
  const chunk = fill.repeat(CHUNK);
  async function* text() {
    if (prefix) yield prefix;
    for (let sent = 0; sent < total; sent += CHUNK) {
      pulled.chunks += 1;
      yield chunk;
    }
  }
  return { text: text(), pulled, chunks: Math.ceil(total / CHUNK) };
}

async function drain<T>(items: AsyncIterable<T>): Promise<{ items: T[]; error: (Error & { code?: string; extensions?: Record<string, unknown> }) | undefined }> {
  const seen: T[] = [];
  try {
    for await (const item of items) seen.push(item);
    return { items: seen, error: undefined };
  } catch (error) {
    return { items: seen, error: error as Error & { code?: string } };
  }
}

describe('line length cap', () => {
  it('stops NDJSON with no line break soon after the cap, naming the line, long before the stream ends', async () => {
    const { text, pulled, chunks } = endlessLine(FIFTY_MB, 'x', '{"a":1}\n{"b":2}\n');
    const { items, error } = await drain(textLines(text));
    expect(items.map((item) => item.text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(error).toMatchObject({ code: 'ACCORD_ERR_IMPORT_LINE_TOO_LONG', extensions: { line: 3, maxLineLength: DEFAULT_MAX_LINE_LENGTH } });
    expect(error!.message).toMatch(/^line 3 is longer than 1048576 characters/);
    // Bounded memory: at most the cap plus one chunk was ever held.
    expect(pulled.chunks).toBeLessThanOrEqual(DEFAULT_MAX_LINE_LENGTH / CHUNK + 1);
    expect(pulled.chunks).toBeLessThan(chunks);
  });

  it('stops a CSV record that never ends (an unclosed quote) the same way', async () => {
    const { text, pulled, chunks } = endlessLine(FIFTY_MB, 'y', 'email,name\na@example.com,"Alice\n');
    const { items, error } = await drain(csvRecords(text));
    expect(items.map((record) => record.row)).toEqual([1]);
    expect(error).toMatchObject({ code: 'ACCORD_ERR_IMPORT_LINE_TOO_LONG', extensions: { row: 2, line: 2 } });
    expect(error!.message).toMatch(/^row 2 \(from line 2\) is longer than 1048576 characters/);
    expect(pulled.chunks).toBeLessThanOrEqual(DEFAULT_MAX_LINE_LENGTH / CHUNK + 1);
    expect(pulled.chunks).toBeLessThan(chunks);
  });

  it('takes lines up to the cap exactly, with either ending, and refuses one character more', async () => {
    const lines = async (text: string, max: number) => drain(textLines((async function* () { yield* text.split(''); })(), { maxLineLength: max }));
    expect((await lines('12345\r\n1234\n12345', 5)).items.map((item) => item.text)).toEqual(['12345', '1234', '12345']);
    expect((await lines('1234\n123456\n', 5)).error).toMatchObject({ code: 'ACCORD_ERR_IMPORT_LINE_TOO_LONG', extensions: { line: 2 } });
    expect((await lines('1234\n123456', 5)).error).toMatchObject({ extensions: { line: 2 } });
    // A whole long line in one chunk is refused too, not only one that spans chunks.
    expect((await drain(textLines((async function* () { yield 'ok\n' + 'z'.repeat(10) + '\nnext\n'; })(), { maxLineLength: 5 }))).error).toMatchObject({ extensions: { line: 2 } });

    const records = async (text: string, max: number) => drain(csvRecords((async function* () { yield text; })(), { maxLineLength: max }));
    expect((await records('a,b\r\n12,45\r\n', 5)).items.map((record) => record.fields)).toEqual([['a', 'b'], ['12', '45']]);
    expect((await records('a,b\n12,456\n', 5)).error).toMatchObject({ extensions: { row: 2, line: 2 } });
    expect((await records('a,b\n12,456', 5)).error).toMatchObject({ extensions: { row: 2 } });
  });

  it('refuses a cap that is not a positive whole number', async () => {
    await expect(drain(textLines((async function* () { yield 'x'; })(), { maxLineLength: 0 }))).resolves.toMatchObject({ error: expect.any(RangeError) });
  });
});
