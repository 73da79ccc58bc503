/**
 * Minimum cell size for a breakdown that leaves a collaboration (pure). Cells under the minimum are
 * not published on their own; they are pooled into one "(other)" cell. Suppressing a single cell is
 * not enough: the total minus the published cells gives it back, so the smallest published cells
 * join the pool (complementary suppression) until the pool itself holds at least the minimum.
 * The rule is the portraits' (core/segments/portrait-cells.ts); this adapts it to keyed counts.
 * Cells must partition the total (each matched person in one cell) for the argument to hold.
 */
import { kAnonymousCells, OTHER } from '../segments/portrait-cells.ts';

export interface CountCell {
  readonly key: string;
  readonly count: number;
}

/** The key of the pooled cell. */
export const OTHER_CELL = OTHER;

export function suppressSmallCells(cells: readonly CountCell[], minCellSize: number): CountCell[] {
  return kAnonymousCells(
    cells.map((c) => ({ value: c.key, count: c.count })),
    minCellSize,
  ).map((c) => ({ key: c.value, count: c.count }));
}

/** The same for counts keyed by identifier type. */
export function suppressSmallCounts(counts: Readonly<Record<string, number>>, minCellSize: number): Record<string, number> {
  const cells = suppressSmallCells(
    Object.entries(counts).map(([key, count]) => ({ key, count })),
    minCellSize,
  );
  return Object.fromEntries(cells.map((c) => [c.key, c.count]));
}
