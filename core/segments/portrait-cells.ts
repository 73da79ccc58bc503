/**
 * Minimum cell size for portraits (pure). Cells under k are pooled into "other"; if "other" is
 * still under k, the smallest named cells join it until it is not. Cells are disjoint and add up
 * to the segment size, so no cell, and no difference of published figures, describes fewer than k
 * people (a suppressed-but-counted cell could be recovered by subtraction, so none is dropped).
 */
export interface Cell {
  readonly value: string;
  readonly count: number;
}

export const OTHER = '(other)';

export function kAnonymousCells(cells: readonly Cell[], k: number): Cell[] {
  const sorted = [...cells].filter((c) => c.count > 0).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  const kept = sorted.filter((c) => c.count >= k && c.value !== OTHER);
  let other = sorted.filter((c) => !kept.includes(c)).reduce((sum, c) => sum + c.count, 0);
  while (other > 0 && other < k && kept.length > 0) other += kept.pop()!.count;
  if (other > 0 && other < k) return [];
  return other > 0 ? [...kept, { value: OTHER, count: other }] : kept;
}
