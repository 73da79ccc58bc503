/** TikTok API for Business details the reference marks 🟡/❓, read by the connectors and the contract server alike. */
export interface TikTokAssumptions {
  /** Rate-limit code (🟡 40100, seen only in third-party code) and the wait assumed (its window is not said). */
  readonly rateLimitCode: number;
  readonly rateLimitWaitMs: number;
  /** Codes for a missing, invalid or revoked access token (❓). */
  readonly tokenInvalidCodes: readonly number[];
  /** Code for a bad parameter or file (❓). */
  readonly parameterCode: number;
  /** Code refusing a change below the minimum audience size (❓; the 1,000 rule itself is ✅). */
  readonly audienceTooSmallCode: number;
  /** Users per segment/mapping call (❓; Tealium batches 1,000). */
  readonly segmentBatchLimit: number;
  /** Events per event/track call (❓; Tealium sends 50). */
  readonly eventBatchLimit: number;
  /** Standard event names for canonical conversions (❓ for app_activation). */
  readonly eventNames: Readonly<Record<'purchase' | 'registration' | 'app_activation' | 'lead' | 'add_to_cart', string>>;
  /** Report metric holding the advertiser currency (❓). */
  readonly currencyMetric: string;
}

export const tiktokAssumptions: TikTokAssumptions = {
  rateLimitCode: 40100,
  rateLimitWaitMs: 60_000,
  tokenInvalidCodes: [40104, 40105],
  parameterCode: 40002,
  audienceTooSmallCode: 40070,
  segmentBatchLimit: 1000,
  eventBatchLimit: 50,
  eventNames: { purchase: 'Purchase', registration: 'CompleteRegistration', app_activation: 'ActivateApp', lead: 'Lead', add_to_cart: 'AddToCart' },
  currencyMetric: 'currency',
};
