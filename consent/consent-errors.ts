/** The consent area's error catalogue; the API maps these codes to HTTP statuses in api/errors.ts. */
export const consentErrorCodes = {
  ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE: 'Unknown purpose',
  ACCORD_ERR_CONSENT_UNKNOWN_NOTICE: 'Unknown notice version',
  ACCORD_ERR_CONSENT_NOTICE_DISABLED: 'Notice version is disabled',
  ACCORD_ERR_CONSENT_NOTICE_SUPERSEDED: 'Notice version was superseded by one that discloses more',
  ACCORD_ERR_CONSENT_NOTICE_SCOPE: 'Notice does not cover this purpose or recipient',
  ACCORD_ERR_CONSENT_RECIPIENT: 'Recipient missing or not allowed for this purpose',
  ACCORD_ERR_CONSENT_COLLECTED_AT: 'Collection time is not plausible',
  ACCORD_ERR_CONSENT_MINOR: 'A minor needs guardian consent with evidence',
  ACCORD_ERR_CONSENT_EVIDENCE: 'Evidence is malformed or too large',
  ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH: 'Event id reused with different content',
  ACCORD_ERR_CONSENT_LOG_ALTERED: 'The consent log no longer matches its signed checkpoint',
  ACCORD_ERR_PREFERENCE_CHANNEL: 'Unknown contact channel or choice',
  ACCORD_ERR_PREFERENCE_TIME_ZONE: 'Not an IANA time zone',
  ACCORD_ERR_PREFERENCE_QUIET_HOURS: 'Quiet hours are not a window of local times HH:MM',
  ACCORD_ERR_PREFERENCE_CAP: 'Frequency cap is not a positive whole number per day, week or month',
  ACCORD_ERR_PREFERENCE_TOPICS: 'Too many or malformed topics',
  ACCORD_ERR_PREFERENCE_LANGUAGE: 'Not a BCP 47 language tag',
  ACCORD_ERR_CONSENT_REPORT_RANGE: 'Report time range is empty or too long',
  ACCORD_ERR_CONSENT_INVALID: 'Invalid consent definition',
  ACCORD_ERR_CONSENT_SUPPRESSED: 'The subject was erased and is suppressed',
  ACCORD_ERR_CONSENT_NOT_GATED: 'Processing was handed people the consent gate did not allow for its purpose',
  ACCORD_ERR_PRIVACY_REQUEST_STATE: 'The privacy request is not in a status that allows this',
  ACCORD_ERR_PRIVACY_REQUEST_KIND: 'The privacy request is of another kind',
  ACCORD_ERR_CONSENT_SIGNAL_MALFORMED: 'Consent signal string cannot be decoded',
  ACCORD_ERR_CONSENT_SIGNAL_REJECTED: 'Consent signal violates its standard',
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
