/** Kuaishou (磁力引擎) details the reference marks ❓, read by the connector and the contract server alike. */
export interface KuaishouAssumptions {
  /** Codes for an expired or invalid access token, rate limiting and a bad parameter (❓ none found). */
  readonly tokenExpiredCodes: readonly number[];
  readonly rateLimitCode: number;
  readonly rateLimitWaitMs: number;
  readonly parameterCode: number;
  /** OAuth refresh path (❓). */
  readonly refreshPath: string;
  /** Population list path used to poll status (🟡 path, ❓ body and answer shape). */
  readonly listPath: string;
  /** Case of an IDFA before MD5 (❓: upper assumed). */
  readonly idfaBeforeMd5: 'upper' | 'lower';
  /** Report field counted as clicks (❓: photo_click). */
  readonly clickField: string;
}

export const kuaishouAssumptions: KuaishouAssumptions = {
  tokenExpiredCodes: [402002, 402003],
  rateLimitCode: 402007,
  rateLimitWaitMs: 1_000,
  parameterCode: 401000,
  refreshPath: '/rest/openapi/oauth2/authorize/refresh_token',
  listPath: '/rest/openapi/v1/dmp/population/list',
  idfaBeforeMd5: 'upper',
  clickField: 'photo_click',
};
