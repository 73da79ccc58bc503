/**
 * Google contract details the reference marks ❓, read by both the connector and the contract
 * server. Confirmed (✅) details live in the code that uses them.
 */
export interface GoogleAssumptions {
  /** Google Ads API version for user-list creation, click conversions and reports (the reference saw v26). */
  readonly adsApiVersion: string;
  /** Data Manager RequestStatus values beyond PROCESSING (❓ exact enum names). */
  readonly requestStatus: { readonly processing: string; readonly success: string; readonly partial: string; readonly failed: string };
  /** Gmail: also drop "+suffix" (current formatting guide), not only dots (an older revision). */
  readonly gmailPlusSuffix: boolean;
  /** Click conversions per UploadClickConversions call (❓ 2,000). */
  readonly maxConversionsPerCall: number;
}

export const googleAssumptions: GoogleAssumptions = {
  adsApiVersion: 'v26',
  requestStatus: { processing: 'PROCESSING', success: 'SUCCESS', partial: 'PARTIAL_SUCCESS', failed: 'FAILED' },
  gmailPlusSuffix: true,
  maxConversionsPerCall: 2000,
};
