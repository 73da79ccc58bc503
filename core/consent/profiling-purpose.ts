/**
 * The purpose of a tenant's own analytics: computing tags (rule, SQL, built-in), selecting
 * segments and drawing portraits are profiling, so they run for this purpose like any processing,
 * and the gate answers for it under the tenant's first-party regime (core/tenancy/first-party-
 * regime.ts). Every tenant has it from creation (migration 0018 for tenants made before).
 * Legal basis: PIPL needs consent (Art. 13-14; Art. 24 lets a person refuse profiling for
 * marketing); GDPR consent, as profiling for marketing is commonly based on it and the reference
 * model is opt-in for EU; CCPA allows until the person opts out (sale/sharing and profiling opt-outs).
 */
import type { Purpose } from '../../consent/purpose.ts';

export const PROFILING_PURPOSE = 'analytics.profiling';

export const profilingPurpose: Purpose = {
  key: PROFILING_PURPOSE,
  name: 'Member analytics: tags, segments and portraits',
  mechanism: 'opt_in',
  legalBasis: { pipl: 'consent', gdpr: 'consent', ccpa: 'opt_out' },
  retentionDays: null,
  sensitiveCategory: null,
  requiresNamedRecipient: false,
  crossBorder: false,
  publicDisclosure: false,
};
