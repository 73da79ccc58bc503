/** The reserved keys of the built-in tags (computeBuiltinTags writes them; no one may define them). */
export const builtinTags = {
  rfm_recency_days: { valueType: 'number', builtin: 'rfm', description: 'Days since the last paid order in the RFM window' },
  rfm_frequency: { valueType: 'number', builtin: 'rfm', description: 'Paid orders in the RFM window' },
  rfm_monetary: { valueType: 'number', builtin: 'rfm', description: 'Sum of paid order amounts in the RFM window' },
  rfm_r_score: { valueType: 'number', builtin: 'rfm', description: 'Recency quintile, 5 = most recent' },
  rfm_f_score: { valueType: 'number', builtin: 'rfm', description: 'Frequency quintile, 5 = most orders' },
  rfm_m_score: { valueType: 'number', builtin: 'rfm', description: 'Monetary quintile, 5 = highest spend' },
  rfm_segment: { valueType: 'text', builtin: 'rfm', description: 'RFM segment from the R and F scores (champions, loyal, at_risk, hibernating, …)' },
  lifecycle_stage: { valueType: 'text', builtin: 'lifecycle', description: 'registered_no_purchase, new, active, loyal, sleeping or churned' },
  clv_estimate: { valueType: 'number', builtin: 'clv', description: 'Heuristic CLV: average order value × orders per year × expected lifetime in years' },
} as const;

export type BuiltinTagKey = keyof typeof builtinTags;

/** Keys no tag may be defined with: the built-ins, and "builtins" (a path segment of the API). */
export function isReservedTagKey(key: string): boolean {
  return key === 'builtins' || Object.hasOwn(builtinTags, key);
}
