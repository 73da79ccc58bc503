/** Tencent Marketing API details the reference marks ❓, read by the connector and the contract server alike. */
export interface TencentAssumptions {
  /** OAuth refresh path on api.e.qq.com (❓ recalled, not in the reference). */
  readonly tokenPath: string;
  /** Code for a timestamp outside ±300 s and for a reused nonce (❓ not found). */
  readonly timestampCode: number;
  readonly nonceReusedCode: number;
  /** Code for a malformed or unknown parameter (❓). */
  readonly parameterCode: number;
  /** custom_audience_files process_status values (🟡 from the audience status enum). */
  readonly processStatus: { readonly done: string; readonly failed: string };
  /** Unit of report `cost` and conversion `value` (❓: 分 per a third-party note). */
  readonly moneyUnit: 'fen' | 'yuan';
  /** Report level and metric names (❓). */
  readonly reportLevel: string;
  readonly reportFields: { readonly impressions: string; readonly clicks: string; readonly cost: string; readonly conversions: string };
}

export const tencentAssumptions: TencentAssumptions = {
  tokenPath: '/oauth/token',
  timestampCode: 11004,
  nonceReusedCode: 11005,
  parameterCode: 11001,
  processStatus: { done: 'SUCCESS', failed: 'ERROR' },
  moneyUnit: 'fen',
  reportLevel: 'REPORT_LEVEL_CAMPAIGN',
  reportFields: { impressions: 'view_count', clicks: 'valid_click_count', cost: 'cost', conversions: 'conversions_count' },
};
