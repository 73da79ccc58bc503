/** Why a PSI run step was refused, as stable codes (HTTP statuses: api/errors.ts). */
import { CodedError } from '../errors.ts';

export const psiRunErrorCodes = {
  ACCORD_ERR_PSI_RUN_UNKNOWN: 'No such PSI run with this party',
  ACCORD_ERR_PSI_RUN_CONFLICT: 'A PSI run with this id already exists',
  ACCORD_ERR_PSI_RUN_INVALID: 'The PSI run request does not fit the run or the collaboration',
  ACCORD_ERR_PSI_RUN_NOT_READY: 'The PSI run is not at this step yet',
  ACCORD_ERR_PSI_RUN_CLOSED: 'The PSI run has ended',
  ACCORD_ERR_PSI_PEER_FAILED: 'The other party refused or failed the run',
  ACCORD_ERR_PSI_RETURN_REFUSED: "The returned set is not the server's set blinded once more, whole and each element once",
} as const;

export type PsiRunErrorCode = keyof typeof psiRunErrorCodes;

export class PsiRunError extends CodedError<PsiRunErrorCode> {}
