/**
 * The provider's audit of its own weights before any score leaves it (reference §6.3). A brand that
 * crafts labels, say a copy of one tag, would otherwise get a model whose partial score u_p is that
 * tag, and read the tag for every lead it scores. The provider, whose data would leak, runs this
 * check itself in the release path (partial-scores.ts), on weights over standardised features so
 * tags compare on one scale. It refuses a model where one tag carries more than `maxTagShare` of
 * the L1 norm, or fewer than `minWeightedTags` tags carry at least `weightedTagFloor` of the largest
 * weight. Known limit: a heuristic; it bounds how directly u_p reads out single tags, not what a
 * linear combination of several reveals.
 */
import type { ScoringPolicy } from './model-spec.ts';

export interface ModelAudit {
  readonly passed: boolean;
  /** Largest |w_j| / ‖w‖₁, and its tag. */
  readonly maxTagShare: number;
  readonly dominantTag: number;
  readonly weightedTags: number;
  readonly reasons: readonly string[];
}

export function auditProviderModel(weights: Float64Array, policy: ScoringPolicy): ModelAudit {
  let l1 = 0;
  let dominantTag = 0;
  weights.forEach((weight, j) => {
    l1 += Math.abs(weight);
    if (Math.abs(weight) > Math.abs(weights[dominantTag]!)) dominantTag = j;
  });
  const largest = Math.abs(weights[dominantTag] ?? 0);
  const maxTagShare = l1 > 0 ? largest / l1 : 0;
  const weightedTags = largest > 0 ? weights.filter((weight) => Math.abs(weight) >= policy.weightedTagFloor * largest).length : 0;
  const reasons: string[] = [];
  if (maxTagShare > policy.maxTagShare) reasons.push(`tag ${dominantTag} carries ${(100 * maxTagShare).toFixed(1)}% of the weight (at most ${100 * policy.maxTagShare}%)`);
  if (weightedTags < policy.minWeightedTags) reasons.push(`${weightedTags} tags carry weight (at least ${policy.minWeightedTags})`);
  return { passed: reasons.length === 0, maxTagShare, dominantTag, weightedTags, reasons };
}
