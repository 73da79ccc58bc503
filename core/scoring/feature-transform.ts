/**
 * Each party standardises its own columns (mean 0, variance 1 over the training rows), so one
 * learning rate suits every weight and the audit compares weights on one scale. The provider also
 * bounds every row's L2 norm by `clipNorm`, which bounds what one row (so one label) can move a
 * gradient sum: the sensitivity label DP is calibrated to. With many features a standardised row is
 * much longer than that (√d), so rows are first scaled by rowScale = min(1, clipNorm/√d), which
 * leaves only outliers to clip; the provider divides its learning rate by rowScale² so its weights
 * learn as fast as on unscaled features (reference data: 330 tags would otherwise train 5× slower). Standardised binary tags are
 * never all zero in a chunk, so no product is the zero plaintext SEAL refuses to multiply by.
 * The same transform, kept with the model, is applied to the rows being scored.
 */
import { ScoringError } from './scoring-errors.ts';

export interface FeatureTransform {
  readonly means: Float64Array;
  /** 1 / standard deviation per column. */
  readonly scales: Float64Array;
  /** Every standardised value is multiplied by this first. */
  readonly rowScale: number;
  /** Rows are then scaled down to this L2 norm; null for no clipping. */
  readonly clipNorm: number | null;
}

export function fitFeatureTransform(columns: readonly Float64Array[], clipNorm: number | null): FeatureTransform {
  const means = new Float64Array(columns.length);
  const scales = new Float64Array(columns.length);
  columns.forEach((column, j) => {
    let sum = 0;
    for (const value of column) sum += value;
    const mean = sum / column.length;
    let squares = 0;
    for (const value of column) squares += (value - mean) ** 2;
    const sd = Math.sqrt(squares / column.length);
    if (!(sd > 1e-12 * Math.max(1, Math.abs(mean)))) {
      throw new ScoringError('ACCORD_ERR_SCORING_CONSTANT_FEATURE', `feature ${j} has the same value in every training row; leave it out`, { feature: j });
    }
    means[j] = mean;
    scales[j] = 1 / sd;
  });
  const rowScale = clipNorm === null || columns.length === 0 ? 1 : Math.min(1, clipNorm / Math.sqrt(columns.length));
  return { means, scales, rowScale, clipNorm };
}

/** Transformed copies of the columns (all of one length). */
export function applyFeatureTransform(transform: FeatureTransform, columns: readonly Float64Array[]): Float64Array[] {
  if (columns.length !== transform.means.length) {
    throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', `${columns.length} columns for a transform of ${transform.means.length}`);
  }
  const out = columns.map((column, j) => {
    const scale = transform.scales[j]! * transform.rowScale;
    return Float64Array.from(column, (value) => (value - transform.means[j]!) * scale);
  });
  if (transform.clipNorm === null || out.length === 0) return out;
  const rows = out[0]!.length;
  const norms = new Float64Array(rows);
  for (const column of out) for (let i = 0; i < rows; i++) norms[i]! += column[i]! ** 2;
  for (let i = 0; i < rows; i++) {
    const norm = Math.sqrt(norms[i]!);
    if (norm <= transform.clipNorm) continue;
    const factor = transform.clipNorm / norm;
    for (const column of out) column[i]! *= factor;
  }
  return out;
}
