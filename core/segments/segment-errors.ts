/** Errors of segments; the API maps the codes to HTTP statuses in api/errors.ts. */
import { CodedError } from '../errors.ts';

export const segmentErrorCodes = {
  ACCORD_ERR_SEGMENT_RULE: 'The segment rule is not valid',
  ACCORD_ERR_SEGMENT_TOO_COSTLY: 'The segment rule would take too long to evaluate',
  ACCORD_ERR_SEGMENT_TOO_LARGE: 'The segment would have more members than allowed',
  ACCORD_ERR_SEGMENT_KIND: 'The segment is not of the kind this needs',
} as const;

export type SegmentErrorCode = keyof typeof segmentErrorCodes;

export class SegmentError extends CodedError<SegmentErrorCode> {}
