/**
 * What may be published of a run's counts (pure). The minimum overlap is checked on the true total
 * by the caller; here the noise and the cell minimum. With noise, a release is one ε split evenly
 * over the figures it publishes: the total, the counts by identifier type, the cells. Each of the
 * latter two must partition the matched people (one person, one type, one cell), so adding or
 * removing a person moves each by at most one (sensitivity 1). Cells are suppressed on the noisy
 * counts, so whether a cell shows depends on noise too, and nothing published is a function of the
 * exact counts alone. Counts never go below zero; noisy figures need not add up to the total.
 */
import { AccordError } from '../errors.ts';
import { sampleDiscreteLaplace, type UniformInt } from './discrete-laplace.ts';
import { MICROS_PER_EPSILON, type GuardPolicy } from './guard-policy.ts';
import { suppressSmallCells, suppressSmallCounts, type CountCell } from './suppress-small-cells.ts';

export interface RunCounts {
  readonly total: number;
  readonly byIdType?: Readonly<Record<string, number>>;
  readonly cells?: readonly CountCell[];
}

export interface ReleasedCounts {
  readonly total: number;
  readonly byIdType: Record<string, number> | null;
  readonly cells: CountCell[] | null;
}

function checkCount(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${what} must be a non-negative integer, got ${count}`);
}

export function checkRunCounts(counts: RunCounts): void {
  checkCount(counts.total, 'total');
  for (const [key, count] of Object.entries(counts.byIdType ?? {})) checkCount(count, `count of ${key}`);
  const keys = new Set<string>();
  for (const cell of counts.cells ?? []) {
    checkCount(cell.count, `cell ${cell.key}`);
    if (keys.has(cell.key)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `cell ${cell.key} appears twice`);
    keys.add(cell.key);
  }
}

/** `epsilonMicros` null: no noise. */
export function releasableCounts(counts: RunCounts, policy: GuardPolicy, epsilonMicros: number | null, uniform?: UniformInt): ReleasedCounts {
  const figures = 1 + (counts.byIdType ? 1 : 0) + (counts.cells ? 1 : 0);
  const noisy =
    epsilonMicros === null
      ? (count: number) => count
      : (count: number) => Math.max(0, count + sampleDiscreteLaplace(epsilonMicros, MICROS_PER_EPSILON * figures, uniform));
  const byIdType = counts.byIdType && Object.fromEntries(Object.entries(counts.byIdType).map(([key, count]) => [key, noisy(count)]));
  const cells = counts.cells?.map((cell) => ({ key: cell.key, count: noisy(cell.count) }));
  return {
    total: noisy(counts.total),
    byIdType: byIdType ? suppressSmallCounts(byIdType, policy.minCellSize) : null,
    cells: cells ? suppressSmallCells(cells, policy.minCellSize) : null,
  };
}
