/** Refusals of the output guard; the API maps the codes to HTTP statuses in api/errors.ts. */
import { CodedError } from '../errors.ts';

export const guardErrorCodes = {
  ACCORD_ERR_GUARD_RATE_LIMITED: 'The collaboration has used its runs for today',
  ACCORD_ERR_GUARD_RUN_BUDGET: 'The collaboration has used every run it was allowed',
  ACCORD_ERR_GUARD_SET_TOO_LARGE: 'A declared input set is larger than the collaboration allows',
  ACCORD_ERR_GUARD_SIZE_MISMATCH: 'An input set arrived larger than its party declared, or smaller beyond the tolerance',
  ACCORD_ERR_GUARD_INPUT_TOO_SMALL: 'An input set is smaller than the collaboration allows',
  ACCORD_ERR_GUARD_DUPLICATE_INPUT: 'An input set repeats an element',
  ACCORD_ERR_GUARD_ASYMMETRY: 'The declared input sets differ in size more than the collaboration allows',
  ACCORD_ERR_GUARD_PRIVACY_BUDGET: 'The collaboration has spent its privacy budget',
  ACCORD_ERR_GUARD_NOT_ADMITTED: 'The run was not admitted by the output guard',
} as const;

export type GuardErrorCode = keyof typeof guardErrorCodes;

export class GuardError extends CodedError<GuardErrorCode> {}
