/**
 * The provider's partial scores u_p = x·w_p for rows the brand asks to score (its PSI-matched leads,
 * or a validation set for calibration). Each released u_p is one linear projection of the provider's
 * tags for one person, so the release path itself runs the model audit, refuses small requests, and
 * rounds every score to a multiple of `partialScoreQuantum` (reference §6.3: coarsened, 0.25 logit).
 */
import { applyFeatureTransform } from './feature-transform.ts';
import { auditProviderModel } from './model-audit.ts';
import type { ScoringPolicy } from './model-spec.ts';
import type { ProviderModel } from './provider-session.ts';
import { rowScores } from './row-scores.ts';
import { ScoringError } from './scoring-errors.ts';

/** Coarsened partial scores for the rows of `features` (raw columns, as the provider holds them). */
export function releasePartialScores(model: ProviderModel, features: readonly Float64Array[], policy: ScoringPolicy): Float64Array {
  const rows = features[0]?.length ?? 0;
  if (rows < policy.minScoringBatch) throw new ScoringError('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL', `${rows} rows; at least ${policy.minScoringBatch} per request`);
  const audit = auditProviderModel(model.weights, policy);
  if (!audit.passed) throw new ScoringError('ACCORD_ERR_SCORING_AUDIT_REFUSED', audit.reasons.join('; '), { audit });
  const quantum = policy.partialScoreQuantum;
  return rowScores(applyFeatureTransform(model.transform, features), model.weights).map((u) => Math.round(u / quantum) * quantum);
}
