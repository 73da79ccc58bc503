/**
 * Meta contract details the reference marks ❓ (not confirmed in Meta's docs): the connector and
 * the contract server both read them from here, and both take overrides, so a confirmed value
 * changes one line. Everything else Meta-specific is ✅/🟡 in reference/ad-platforms.md §1.3, §2.
 */
export interface MetaAssumptions {
  readonly apiVersion: string;
  readonly audienceTooSmall: { readonly code: number; readonly subcode: number };
  readonly minimumSize: number;
  readonly throttleCodes: readonly number[];
  readonly sessionStages: { readonly done: string; readonly failed: string };
  readonly conversionActionTypes: readonly string[];
}

export const metaAssumptions: MetaAssumptions = {
  /** Graph API version the paths use (the reference read v25.0). */
  apiVersion: 'v25.0',
  /** The removal refusal "Audience Size too low" (🟡 message; code and subcode ❓). */
  audienceTooSmall: { code: 100, subcode: 1870053 },
  /** Meta does not publish the size below which it refuses removals (❓). */
  minimumSize: 1000,
  /** Throttling codes: 17, 613, 80004, 4 are documented; 80003 for custom audiences is ❓. */
  throttleCodes: [4, 17, 613, 80003, 80004],
  /** Session `stage` values that end processing (❓: field documented, values not). */
  sessionStages: { done: 'finished', failed: 'failed' },
  /** Insights `actions` counted as conversions in reports (❓). */
  conversionActionTypes: ['purchase'],
};
