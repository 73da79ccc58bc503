/** Ocean Engine details the reference marks ❓, read by the connector and the contract server alike. */
export interface OceanEngineAssumptions {
  /** Codes for an expired or invalid access token (❓). */
  readonly tokenExpiredCodes: readonly number[];
  /** Rate-limit code (❓ probably 40100, shared with TikTok) and the wait it implies. */
  readonly rateLimitCode: number;
  readonly rateLimitWaitMs: number;
  /** Code for a malformed request or file (❓). */
  readonly parameterCode: number;
  /** Case of an IDFA before MD5 (❓: Apple's upper case assumed). */
  readonly idfaBeforeMd5: 'upper' | 'lower';
  /** Conversion API event_type for each canonical name (🟡 community SDK enum; add_to_cart ❓). */
  readonly eventTypes: Readonly<Record<'purchase' | 'registration' | 'app_activation' | 'lead' | 'add_to_cart', string>>;
  /** Custom report dimension and metric names besides stat_cost (❓: discover with report/custom/config/get). */
  readonly report: { readonly day: string; readonly campaign: string; readonly impressions: string; readonly clicks: string; readonly conversions: string };
}

export const oceanEngineAssumptions: OceanEngineAssumptions = {
  tokenExpiredCodes: [40102, 40104],
  rateLimitCode: 40100,
  rateLimitWaitMs: 1_000,
  parameterCode: 40002,
  idfaBeforeMd5: 'upper',
  eventTypes: { purchase: 'active_pay', registration: 'active_register', app_activation: 'active', lead: 'form', add_to_cart: 'in_app_cart' },
  report: { day: 'stat_time_day', campaign: 'cdp_project_id', impressions: 'show_cnt', clicks: 'click_cnt', conversions: 'convert_cnt' },
};
