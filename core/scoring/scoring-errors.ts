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
} as const;

export type ScoringErrorCode = keyof typeof scoringErrorCodes;

export class ScoringError extends CodedError<ScoringErrorCode> {}
