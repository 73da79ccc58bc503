/**
 * What a benchmark is: a name, one line saying what it measures, the options it accepts, and a `run`
 * that returns its figures. The runner (bench/run.ts) adds the environment, prints the JSON and saves it.
 */
import type { ParseArgsConfig } from 'node:util';

export type BenchOptions = Record<string, string | boolean | undefined>;

export interface Benchmark {
  readonly name: string;
  readonly describe: string;
  /** node:util parseArgs option declarations (a `type: 'string'` option takes the next argument as its value). */
  readonly options?: NonNullable<ParseArgsConfig['options']>;
  /**
   * Runs the benchmark. Human output (a summary table) goes to stdout, progress to stderr through
   * `progress`; the returned figures become the final JSON line, so nothing may print after it returns.
   */
  run(options: BenchOptions, progress: (line: string) => void): Promise<Record<string, unknown>>;
}

export class BenchOptionError extends Error {}

/** A positive integer option, or the fallback when it is absent. */
export function intOption(options: BenchOptions, name: string, fallback: number, { min = 1 } = {}): number {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min) {
    throw new BenchOptionError(`--${name}: expected an integer >= ${min}, got ${typeof raw === 'string' ? JSON.stringify(raw) : 'no value'}`);
  }
  return value;
}

export const flag = (options: BenchOptions, name: string): boolean => options[name] === true || options[name] === 'true';
