/**
 * The API's error catalogue and the one place codes from every area become HTTP statuses.
 * Clients match on `code`; titles are for people.
 */
import { consentErrorCodes } from '../consent/consent-errors.ts';
import { coreErrorCodes } from '../core/errors.ts';
import { importErrorCodes } from '../core/consent/import/import-errors.ts';
import { tagErrorCodes } from '../core/tags/tag-errors.ts';
import { segmentErrorCodes } from '../core/segments/segment-errors.ts';
import { collaborationErrorCodes } from '../core/collaborations/collaboration-errors.ts';
import { peerErrorCodes } from '../core/peers/peer-errors.ts';
import { guardErrorCodes } from '../core/guard/guard-errors.ts';
import { psiRunErrorCodes } from '../core/psi/psi-run-error.ts';
import { psiFrameErrorCodes } from '../crypto/psi/frame-error.ts';
import { heErrorCodes } from '../crypto/he/he-error.ts';
import { scoringErrorCodes } from '../core/scoring/scoring-errors.ts';

export const apiErrorCodes = {
  ACCORD_ERR_VALIDATION: 'Request does not match the schema',
  ACCORD_ERR_MALFORMED_JSON: 'Body is not valid JSON',
  ACCORD_ERR_UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  ACCORD_ERR_PAYLOAD_TOO_LARGE: 'Body too large',
  ACCORD_ERR_UNAUTHENTICATED: 'Missing or invalid API key',
  ACCORD_ERR_FORBIDDEN: 'API key lacks the scope',
  ACCORD_ERR_CSRF: 'Missing or wrong CSRF token on a console request that changes state',
  ACCORD_ERR_IDEMPOTENCY_MISMATCH: 'Idempotency key reused with a different request',
  ACCORD_ERR_IDEMPOTENCY_IN_PROGRESS: 'A request with this idempotency key is still running',
  ACCORD_ERR_RATE_LIMITED: 'Too many requests',
  ACCORD_ERR_ROUTE_NOT_FOUND: 'No such endpoint',
  ACCORD_ERR_INTERNAL: 'Internal error',
} as const;

export type ApiErrorCode = keyof typeof apiErrorCodes;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

const titles: Record<string, string> = { ...coreErrorCodes, ...consentErrorCodes, ...importErrorCodes, ...tagErrorCodes, ...segmentErrorCodes, ...guardErrorCodes, ...collaborationErrorCodes, ...peerErrorCodes, ...psiRunErrorCodes, ...psiFrameErrorCodes, ...scoringErrorCodes, ...heErrorCodes, ACCORD_ERR_PSI_INVALID_POINT: 'An element is not a valid group element', ...apiErrorCodes };

const statusByCode: Record<string, number> = {
  ACCORD_ERR_NOT_FOUND: 404,
  ACCORD_ERR_ROUTE_NOT_FOUND: 404,
  ACCORD_ERR_CONFLICT: 409,
  ACCORD_ERR_INVALID_INPUT: 400,
  ACCORD_ERR_VALIDATION: 400,
  ACCORD_ERR_MALFORMED_JSON: 400,
  ACCORD_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ACCORD_ERR_PAYLOAD_TOO_LARGE: 413,
  ACCORD_ERR_UNAUTHENTICATED: 401,
  ACCORD_ERR_FORBIDDEN: 403,
  ACCORD_ERR_CSRF: 403,
  ACCORD_ERR_IDEMPOTENCY_MISMATCH: 409,
  ACCORD_ERR_IDEMPOTENCY_IN_PROGRESS: 409,
  ACCORD_ERR_RATE_LIMITED: 429,
  ACCORD_ERR_INTERNAL: 500,
  ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE: 422,
  ACCORD_ERR_CONSENT_UNKNOWN_NOTICE: 422,
  ACCORD_ERR_CONSENT_NOTICE_DISABLED: 422,
  ACCORD_ERR_CONSENT_NOTICE_SUPERSEDED: 422,
  ACCORD_ERR_CONSENT_NOTICE_SCOPE: 422,
  ACCORD_ERR_CONSENT_RECIPIENT: 422,
  ACCORD_ERR_CONSENT_COLLECTED_AT: 422,
  ACCORD_ERR_CONSENT_MINOR: 422,
  ACCORD_ERR_CONSENT_EVIDENCE: 422,
  ACCORD_ERR_CONSENT_INVALID: 422,
  ACCORD_ERR_CONSENT_SUPPRESSED: 409,
  // A code path that bypasses or forges the gate is a bug, never the caller's doing.
  ACCORD_ERR_CONSENT_NOT_GATED: 500,
  ACCORD_ERR_PRIVACY_REQUEST_STATE: 409,
  ACCORD_ERR_PRIVACY_REQUEST_KIND: 409,
  ACCORD_ERR_CONSENT_SIGNAL_MALFORMED: 422,
  ACCORD_ERR_CONSENT_SIGNAL_REJECTED: 422,
  ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH: 409,
  // The node cannot prove from a log that was rewritten behind its own signature: an operator must look.
  ACCORD_ERR_CONSENT_LOG_ALTERED: 500,
  ACCORD_ERR_PREFERENCE_CHANNEL: 422,
  ACCORD_ERR_PREFERENCE_TIME_ZONE: 422,
  ACCORD_ERR_PREFERENCE_QUIET_HOURS: 422,
  ACCORD_ERR_PREFERENCE_CAP: 422,
  ACCORD_ERR_PREFERENCE_TOPICS: 422,
  ACCORD_ERR_PREFERENCE_LANGUAGE: 422,
  ACCORD_ERR_CONSENT_REPORT_RANGE: 400,
  ACCORD_ERR_IMPORT_ROW: 422,
  ACCORD_ERR_IMPORT_HEADER: 422,
  ACCORD_ERR_IMPORT_OPTIONS: 409,
  ACCORD_ERR_TAG_VALUE: 422,
  ACCORD_ERR_TAG_UNKNOWN_PERSON: 422,
  ACCORD_ERR_TAG_KIND: 409,
  ACCORD_ERR_TAG_SQL_REFUSED: 422,
  ACCORD_ERR_TAG_SQL_LIMIT: 422,
  ACCORD_ERR_TAG_SQL_FAILED: 422,
  ACCORD_ERR_TAG_SQL_RESULT: 422,
  ACCORD_ERR_TAG_RULE_INVALID: 422,
  ACCORD_ERR_SEGMENT_RULE: 422,
  ACCORD_ERR_SEGMENT_TOO_COSTLY: 422,
  ACCORD_ERR_SEGMENT_TOO_LARGE: 422,
  ACCORD_ERR_SEGMENT_KIND: 409,
  ACCORD_ERR_COLLABORATION_UNKNOWN: 404,
  ACCORD_ERR_COLLABORATION_NOT_APPROVED: 409,
  ACCORD_ERR_COLLABORATION_REVOKED: 409,
  ACCORD_ERR_COLLABORATION_EXPIRED: 409,
  ACCORD_ERR_COLLABORATION_TERMS: 422,
  ACCORD_ERR_COLLABORATION_CONSTRAINTS: 422,
  ACCORD_ERR_COLLABORATION_SIGNATURE: 422,
  ACCORD_ERR_COLLABORATION_STATE: 409,
  ACCORD_ERR_NODE_UNAUTHENTICATED: 401,
  ACCORD_ERR_NODE_CLOCK_SKEW: 401,
  ACCORD_ERR_NODE_REPLAY: 401,
  // The peer, not this node, failed: a gateway error, with the peer's own status and code attached.
  ACCORD_ERR_PEER_UNREACHABLE: 502,
  ACCORD_ERR_PEER_REFUSED: 502,
  ACCORD_ERR_PEER_OFFLINE: 409,
  ACCORD_ERR_GUARD_RATE_LIMITED: 429,
  ACCORD_ERR_GUARD_RUN_BUDGET: 409,
  ACCORD_ERR_GUARD_PRIVACY_BUDGET: 409,
  ACCORD_ERR_GUARD_SET_TOO_LARGE: 422,
  ACCORD_ERR_GUARD_SIZE_MISMATCH: 422,
  ACCORD_ERR_GUARD_INPUT_TOO_SMALL: 422,
  ACCORD_ERR_GUARD_DUPLICATE_INPUT: 422,
  ACCORD_ERR_GUARD_ASYMMETRY: 422,
  ACCORD_ERR_GUARD_NOT_ADMITTED: 409,
  ACCORD_ERR_IMPORT_LINE_TOO_LONG: 422,
  ACCORD_ERR_SCORING_SPEC_INVALID: 422,
  ACCORD_ERR_SCORING_ROWS_BELOW_FEATURES: 422,
  ACCORD_ERR_SCORING_BATCH_BELOW_FEATURES: 422,
  ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM: 422,
  ACCORD_ERR_SCORING_DATA_MISMATCH: 422,
  ACCORD_ERR_SCORING_CONSTANT_FEATURE: 422,
  ACCORD_ERR_SCORING_MESSAGE_MALFORMED: 400,
  ACCORD_ERR_SCORING_MESSAGE_BINDING: 403,
  ACCORD_ERR_SCORING_MESSAGE_CONFLICT: 409,
  ACCORD_ERR_SCORING_AUDIT_REFUSED: 409,
  ACCORD_ERR_SCORING_RELEASE_TOO_SMALL: 422,
  ACCORD_ERR_SCORING_RELEASE_CAP: 409,
  ACCORD_ERR_SCORING_NOT_ALLOWED: 403,
  ACCORD_ERR_SCORING_MODEL_UNKNOWN: 404,
  ACCORD_ERR_SCORING_MODEL_STATE: 409,
  ACCORD_ERR_SCORING_SIGNATURE: 422,
  ACCORD_ERR_HE_MALFORMED: 400,
  ACCORD_ERR_HE_TOO_LARGE: 413,
  ACCORD_ERR_HE_WRONG_PARAMS: 400,
  ACCORD_ERR_HE_UNDECRYPTABLE: 422,
  ACCORD_ERR_HE_VALUE_RANGE: 422,
  ACCORD_ERR_PSI_RUN_UNKNOWN: 404,
  ACCORD_ERR_PSI_RUN_CONFLICT: 409,
  ACCORD_ERR_PSI_RUN_INVALID: 422,
  ACCORD_ERR_PSI_RUN_NOT_READY: 409,
  ACCORD_ERR_PSI_RUN_CLOSED: 409,
  ACCORD_ERR_PSI_PEER_FAILED: 502,
  ACCORD_ERR_PSI_RETURN_REFUSED: 422,
  ACCORD_ERR_PSI_FRAME_MALFORMED: 400,
  ACCORD_ERR_PSI_FRAME_CHECKSUM: 400,
  ACCORD_ERR_PSI_FRAME_SIGNATURE: 403,
  ACCORD_ERR_PSI_FRAME_BINDING: 403,
  ACCORD_ERR_PSI_FRAME_REPLAY: 409,
  ACCORD_ERR_PSI_FRAME_OUT_OF_ORDER: 409,
  ACCORD_ERR_PSI_FRAME_TOO_LARGE: 413,
  ACCORD_ERR_PSI_INVALID_POINT: 422,
};

export function httpStatusOf(code: string): number | undefined {
  return statusByCode[code];
}

export function titleOf(code: string): string {
  return titles[code] ?? 'Error';
}
