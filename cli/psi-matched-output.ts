/**
 * The matched rows of the party's own file, written where it asked (`--output`) and nowhere else:
 * a second pass over the input keeps only the rows whose person matched, so no raw identifier is
 * held longer than the read. A CSV keeps its header and columns (written by the one CSV writer,
 * core/files/csv-line.ts); a plain list stays a list. The file is readable by its owner only and
 * appears complete or not at all.
 */
import { open, rename, rm } from 'node:fs/promises';
import { csvLine } from '../core/files/csv-line.ts';
import { fileRecords, type FileShape } from '../core/psi/file-input.ts';

const FLUSH_CHARS = 1 << 20;

export async function writeMatchedRows(input: string, shape: FileShape, matchedRows: ReadonlySet<number>, output: string): Promise<number> {
  const partial = `${output}.${process.pid}.partial`;
  const file = await open(partial, 'wx', 0o600);
  let written = 0;
  try {
    let pending = '';
    for await (const record of fileRecords(input, shape)) {
      const header = shape.layout === 'csv' && record.row === 1;
      if (!header && !matchedRows.has(record.row)) continue;
      pending += shape.layout === 'csv' ? csvLine(record.fields) : `${record.fields[0]}\n`;
      if (!header) written++;
      if (pending.length >= FLUSH_CHARS) {
        await file.write(pending);
        pending = '';
      }
    }
    await file.write(pending);
    await file.close();
    await rename(partial, output);
    return written;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}
