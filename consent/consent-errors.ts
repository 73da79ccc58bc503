/** The consent area's error catalogue; the API maps these codes to HTTP statuses in api/errors.ts. */
export const consentErrorCodes = {
  ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE: 'Unknown purpose',
  ACCORD_ERR_CONSENT_UNKNOWN_NOTICE: 'Unknown notice version',
  ACCORD_ERR_CONSENT_NOTICE_DISABLED: 'Notice version is disabled',
  ACCORD_ERR_CONSENT_NOTICE_SCOPE: 'Notice does not cover this purpose or recipient',
  ACCORD_ERR_CONSENT_RECIPIENT: 'Recipient missing or not allowed for this purpose',
  ACCORD_ERR_CONSENT_COLLECTED_AT: 'Collection time is not plausible',
  ACCORD_ERR_CONSENT_MINOR: 'A minor needs guardian consent with evidence',
  ACCORD_ERR_CONSENT_EVIDENCE: 'Evidence is malformed or too large',
  ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH: 'Event id reused with different content',
  ACCORD_ERR_CONSENT_INVALID: 'Invalid consent definition',
} as const;

export type ConsentErrorCode = keyof typeof consentErrorCodes;

export class ConsentError extends Error {
  constructor(
    readonly code: ConsentErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'ConsentError';
  }
}
