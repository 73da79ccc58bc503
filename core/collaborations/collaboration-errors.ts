/** Errors of collaborations; the API maps the codes to HTTP statuses in api/errors.ts. */
import { CodedError } from '../errors.ts';

export const collaborationErrorCodes = {
  ACCORD_ERR_COLLABORATION_UNKNOWN: 'No such collaboration',
  ACCORD_ERR_COLLABORATION_NOT_APPROVED: 'The collaboration is not approved by every party',
  ACCORD_ERR_COLLABORATION_REVOKED: 'The collaboration was revoked',
  ACCORD_ERR_COLLABORATION_EXPIRED: 'The collaboration has expired',
  ACCORD_ERR_COLLABORATION_TERMS: 'The collaboration terms are not acceptable',
  ACCORD_ERR_COLLABORATION_CONSTRAINTS: 'A party may only tighten the terms',
  ACCORD_ERR_COLLABORATION_SIGNATURE: 'A signed collaboration message does not verify',
  ACCORD_ERR_COLLABORATION_STATE: 'The collaboration is not in a state that allows this',
} as const;

export type CollaborationErrorCode = keyof typeof collaborationErrorCodes;

export class CollaborationError extends CodedError<CollaborationErrorCode> {}
