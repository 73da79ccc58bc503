/** Output shared by the benchmarks: an aligned text table, and the JSON result files under bench/results/. */
import { availableParallelism, cpus } from 'node:os';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

type Cell = string | number;

/** Formats a number for a table: integers with thousands separators, others with `digits` decimals. */
/** The middle value (the upper one of two for an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export function num(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** An aligned plain-text table: text left-aligned, numbers (and numeric-looking strings) right-aligned. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = [headers, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? num(cell) : cell)))];
  const numeric = (cell: Cell | undefined) => typeof cell === 'number' || (typeof cell === 'string' && /^[-+]?[\d,.]+[x%]?$/.test(cell));
  const widths = headers.map((_, column) => Math.max(...text.map((row) => (row[column] ?? '').length)));
  const line = (row: string[], source: Cell[] | undefined) =>
    row
      .map((cell, column) => (source && numeric(source[column]) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(text[0]!, undefined), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map((row, i) => line(text[i + 1]!, row))].join('\n');
}

export interface Environment {
  node: string;
  cpus: number;
  cpuModel: string;
  platform: string;
}

export function environment(): Environment {
  return { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', platform: `${process.platform}-${process.arch}` };
}

/** 20250102-030405 (UTC), for result file names. */
export function fileStamp(date: Date): string {
  const iso = date.toISOString(); // 2025-01-02T03:04:05.678Z
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** Writes the result as <name>-<stamp>.json and <name>-latest.json; returns both paths. */
export async function saveResult(name: string, date: Date, result: object): Promise<string[]> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const text = JSON.stringify(result, null, 2) + '\n';
  const paths = [join(RESULTS_DIR, `${name}-${fileStamp(date)}.json`), join(RESULTS_DIR, `${name}-latest.json`)];
  for (const path of paths) {
    // Written beside and renamed, so a reader never sees half a file (*.tmp is git-ignored).
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, path);
  }
  return paths;
}
