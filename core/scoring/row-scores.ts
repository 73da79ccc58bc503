/** X·w over a range of rows, for columns of equal length: a party's partial logit (or prediction) per row. */
import type { RowRange } from './batch-layout.ts';

export function rowScores(columns: readonly Float64Array[], weights: Float64Array, range?: RowRange): Float64Array {
  const start = range?.start ?? 0;
  const end = range?.end ?? columns[0]?.length ?? 0;
  const out = new Float64Array(end - start);
  columns.forEach((column, j) => {
    const weight = weights[j]!;
    if (weight === 0) return;
    for (let i = start; i < end; i++) out[i - start]! += weight * column[i]!;
  });
  return out;
}
