/**
 * Lookalike expansion (reference §6.3): a model on the provider's features only (the brand adds just
 * the bias, which does not change a ranking), trained with the same steps, then scored in plaintext
 * over the provider's whole population, on the provider's side. The provider activates the top-k
 * itself; the brand sees aggregates only: recall and lift of its held-out seed members per candidate
 * size, and a score histogram whose every bucket counts at least `minHistogramBucket` people.
 */
import { applyFeatureTransform } from './feature-transform.ts';
import type { ScoringPolicy } from './model-spec.ts';
import type { ProviderModel } from './provider-session.ts';
import { rowScores } from './row-scores.ts';
import { ScoringError } from './scoring-errors.ts';

export interface LookalikeSize {
  readonly size: number;
  /** Share of the held-out seed members within the top `size`. */
  readonly recall: number;
  /** recall / (size / population): how much better than a random pick of that size. */
  readonly lift: number;
}

export interface HistogramBucket {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

export interface LookalikeReport {
  readonly population: number;
  readonly holdout: number;
  readonly sizes: readonly LookalikeSize[];
  readonly histogram: readonly HistogramBucket[];
}

const HISTOGRAM_BINS = 20;

/** Plaintext scores of the provider's population (raw columns) under its side of the model. */
export function lookalikeScores(model: ProviderModel, population: readonly Float64Array[]): Float64Array {
  return rowScores(applyFeatureTransform(model.transform, population), model.weights);
}

/** Rows of the `k` highest scores, best first (ties by row order). */
export function topK(scores: Float64Array, k: number, policy: ScoringPolicy): Uint32Array {
  checkSize(k, scores.length, policy);
  return rankRows(scores).subarray(0, k);
}

/** What the brand may see of a lookalike model: `holdout[i]` is 1 for held-out seed members (not trained on). */
export function lookalikeReport(scores: Float64Array, holdout: Uint8Array, sizes: readonly number[], policy: ScoringPolicy): LookalikeReport {
  if (holdout.length !== scores.length) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', 'one holdout flag per scored row');
  for (const size of sizes) checkSize(size, scores.length, policy);
  const ranked = rankRows(scores);
  const members = holdout.reduce((total, flag) => total + flag, 0);
  // found[r] = holdout members among the top r rows.
  const found = new Uint32Array(scores.length + 1);
  ranked.forEach((row, r) => (found[r + 1] = found[r]! + holdout[row]!));
  const population = scores.length;
  return {
    population,
    holdout: members,
    sizes: sizes.map((size) => {
      const recall = members > 0 ? found[size]! / members : 0;
      return { size, recall, lift: recall / (size / population) };
    }),
    histogram: histogram(scores, policy.minHistogramBucket),
  };
}

function checkSize(size: number, population: number, policy: ScoringPolicy): void {
  if (!Number.isSafeInteger(size) || size > population) throw new RangeError(`segment size ${size} for a population of ${population}`);
  if (size < policy.minLookalikeSegment) throw new ScoringError('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL', `segment of ${size}; at least ${policy.minLookalikeSegment}`);
}

function rankRows(scores: Float64Array): Uint32Array {
  return Uint32Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Equal-width bins over the score range, neighbours merged until each counts at least `minCount`. */
function histogram(scores: Float64Array, minCount: number): HistogramBucket[] {
  if (scores.length < minCount) return [];
  let low = Infinity;
  let high = -Infinity;
  for (const score of scores) {
    low = Math.min(low, score);
    high = Math.max(high, score);
  }
  const width = (high - low) / HISTOGRAM_BINS || 1;
  const counts = new Uint32Array(HISTOGRAM_BINS);
  for (const score of scores) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((score - low) / width))]!++;
  const buckets: HistogramBucket[] = [];
  let from = low;
  let count = 0;
  counts.forEach((binCount, bin) => {
    count += binCount;
    if (count < minCount) return;
    const to = bin === HISTOGRAM_BINS - 1 ? high : low + (bin + 1) * width;
    buckets.push({ from, to, count });
    from = to;
    count = 0;
  });
  // A short tail joins the last bucket rather than standing alone.
  if (count > 0) {
    const last = buckets.pop()!;
    buckets.push({ from: last.from, to: high, count: last.count + count });
  }
  return buckets;
}
