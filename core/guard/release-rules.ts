/**
 * What may be published of a run's counts (pure): noise, the minimum overlap and the cell minimum.
 * With noise, a release is one ε split evenly over the figures it publishes: the total, the counts
 * by identifier type, the cells. Each of the latter two must partition the matched people (one
 * person, one type, one cell), so adding or removing a person moves each figure by at most the
 * counts' sensitivity (1 unless the caller says otherwise), and each figure gets discrete Laplace
 * noise of ε / (figures × sensitivity). The minimum overlap is applied to the noisy total and cells
 * are suppressed on the noisy counts, so whether anything shows depends on noise too, and nothing
 * published (not even a refusal) is a function of the exact counts alone. Counts never go below
 * zero; noisy figures need not add up to the total.
 */
import { AccordError } from '../errors.ts';
import { sampleDiscreteLaplace, type UniformInt } from './discrete-laplace.ts';
import { MICROS_PER_EPSILON, type GuardPolicy } from './guard-policy.ts';
import { suppressSmallCells, suppressSmallCounts, type CountCell } from './suppress-small-cells.ts';

export interface RunCounts {
  readonly total: number;
  readonly byIdType?: Readonly<Record<string, number>>;
  readonly cells?: readonly CountCell[];
  /**
   * How far one person of the protected party can move each figure. A server counting the client's
   * positions matched on any of T identifier types, one element per person and type, has T.
   */
  readonly sensitivity?: number;
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
  if (counts.sensitivity !== undefined && (!Number.isSafeInteger(counts.sensitivity) || counts.sensitivity < 1)) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `sensitivity must be a positive integer, got ${counts.sensitivity}`);
  }
  for (const [key, count] of Object.entries(counts.byIdType ?? {})) checkCount(count, `count of ${key}`);
  const keys = new Set<string>();
  for (const cell of counts.cells ?? []) {
    checkCount(cell.count, `cell ${cell.key}`);
    if (keys.has(cell.key)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `cell ${cell.key} appears twice`);
    keys.add(cell.key);
  }
}

export type CountsOutcome = ({ readonly released: true } & ReleasedCounts) | { readonly released: false; readonly reason: 'below-min-overlap' };

/** The figures to publish, or a refusal when the (noisy) total is below the minimum overlap. `epsilonMicros` null: no noise. */
export function decideRelease(counts: RunCounts, policy: GuardPolicy, epsilonMicros: number | null, uniform?: UniformInt): CountsOutcome {
  const figures = releasableCounts(counts, policy, epsilonMicros, uniform);
  return figures.total < policy.minOverlap ? { released: false, reason: 'below-min-overlap' } : { released: true, ...figures };
}

function releasableCounts(counts: RunCounts, policy: GuardPolicy, epsilonMicros: number | null, uniform?: UniformInt): ReleasedCounts {
  const figures = 1 + (counts.byIdType ? 1 : 0) + (counts.cells ? 1 : 0);
  const scale = MICROS_PER_EPSILON * figures * (counts.sensitivity ?? 1);
  const noisy = epsilonMicros === null ? (count: number) => count : (count: number) => Math.max(0, count + sampleDiscreteLaplace(epsilonMicros, scale, uniform));
  const byIdType = counts.byIdType && Object.fromEntries(Object.entries(counts.byIdType).map(([key, count]) => [key, noisy(count)]));
  const cells = counts.cells?.map((cell) => ({ key: cell.key, count: noisy(cell.count) }));
  return {
    total: noisy(counts.total),
    byIdType: byIdType ? suppressSmallCounts(byIdType, policy.minCellSize) : null,
    cells: cells ? suppressSmallCells(cells, policy.minCellSize) : null,
  };
}
