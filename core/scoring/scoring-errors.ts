/** Why a federated-scoring spec, step or release was refused, as stable codes (HE input errors: crypto/he/he-error.ts). */
import { CodedError } from '../errors.ts';

export const scoringErrorCodes = {
  ACCORD_ERR_SCORING_SPEC_INVALID: 'The model spec is not well formed',
  ACCORD_ERR_SCORING_ROWS_BELOW_FEATURES: 'The model has fewer training rows than parameters',
  ACCORD_ERR_SCORING_BATCH_BELOW_FEATURES: 'A training batch would have fewer rows than the model has parameters, so its gradient would reveal the labels',
  ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM: 'A training batch would be smaller than the policy allows',
  ACCORD_ERR_SCORING_DATA_MISMATCH: 'The data given does not have the shape the model spec declares',
  ACCORD_ERR_SCORING_CONSTANT_FEATURE: 'A feature has the same value in every training row',
  ACCORD_ERR_SCORING_MESSAGE_MALFORMED: 'The step message is not well formed',
  ACCORD_ERR_SCORING_MESSAGE_BINDING: 'The step message belongs to another model, step, sender, kind or input',
  ACCORD_ERR_SCORING_AUDIT_REFUSED: 'The model failed the provider audit; no score is released from it',
  ACCORD_ERR_SCORING_RELEASE_TOO_SMALL: 'The release is smaller than the policy allows',
  ACCORD_ERR_SCORING_MESSAGE_CONFLICT: 'A different message for this model, kind and step was already received; a step is answered once',
  ACCORD_ERR_SCORING_NOT_ALLOWED: 'The collaboration does not allow scoring, or this party may not do that',
  ACCORD_ERR_SCORING_MODEL_UNKNOWN: 'No such model with this node',
  ACCORD_ERR_SCORING_MODEL_STATE: 'The model is not in a state that allows this',
  ACCORD_ERR_SCORING_SIGNATURE: 'An approval of the model spec does not verify under the party key the collaboration pins',
  ACCORD_ERR_SCORING_RELEASE_CAP: 'Every person asked for was already scored as often as one model version allows',
} as const;

export type ScoringErrorCode = keyof typeof scoringErrorCodes;

export class ScoringError extends CodedError<ScoringErrorCode> {}

/** A peer's refusal keeps its scoring or HE code, so the caller sees why (audit, too small, a bad spec). */
export function asScoringError(error: unknown): unknown {
  const extensions = (error as { code?: unknown; extensions?: { peerCode?: unknown } }).extensions;
  const peerCode = (error as { code?: unknown }).code === 'ACCORD_ERR_PEER_REFUSED' ? extensions?.peerCode : undefined;
  if (typeof peerCode === 'string' && peerCode in scoringErrorCodes) return new ScoringError(peerCode as ScoringErrorCode, (error as Error).message);
  return error;
}
