/**
 * Lead scores in 0..1 for the brand's leads (reference §6.3): speed, the calibrated probability of a
 * logistic model on u_b + u_p; revenue, a linear model's prediction placed by percentile within the
 * brand's own lead base (so 0.9 means "above 90% of our leads", whatever the units). u_p comes from
 * the provider coarsened (partial-scores.ts); u_b is the brand's own part, computed here.
 */
import type { BrandModel } from './brand-session.ts';
import { applyFeatureTransform } from './feature-transform.ts';
import { sigmoid, type PlattScaling } from './model-metrics.ts';
import { rowScores } from './row-scores.ts';
import { ScoringError } from './scoring-errors.ts';

/** u_b for each row of the brand's raw feature columns, bias included (`rows` names the count when there are no features). */
export function brandPartialScores(model: BrandModel, features: readonly Float64Array[], rows = features[0]?.length ?? 0): Float64Array {
  const columns = [...applyFeatureTransform(model.transform, features), new Float64Array(rows).fill(1)];
  return rowScores(columns, model.weights, { start: 0, end: rows });
}

export function speedScores(brandPartials: Float64Array, providerPartials: Float64Array, platt: PlattScaling): Float64Array {
  checkSameLength(brandPartials, providerPartials);
  return brandPartials.map((u, i) => sigmoid(platt.a * (u + providerPartials[i]!) + platt.b));
}

/** Each lead's mid-rank percentile among `leadBase` predictions: (below + ½·equal) / base size. */
export function revenueScores(brandPartials: Float64Array, providerPartials: Float64Array, leadBase: Float64Array): Float64Array {
  checkSameLength(brandPartials, providerPartials);
  if (leadBase.length === 0) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', 'the lead base is empty');
  const sorted = Float64Array.from(leadBase).sort();
  const firstAtLeast = (value: number, strict: boolean) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (strict ? sorted[middle]! <= value : sorted[middle]! < value) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  return brandPartials.map((u, i) => {
    const prediction = u + providerPartials[i]!;
    const below = firstAtLeast(prediction, false);
    return (below + (firstAtLeast(prediction, true) - below) / 2) / sorted.length;
  });
}

function checkSameLength(a: Float64Array, b: Float64Array): void {
  if (a.length !== b.length) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', `${a.length} brand scores against ${b.length} provider scores`);
}
