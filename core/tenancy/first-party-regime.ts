/**
 * The regime a tenant's own processing (tags, segments, portraits, registration consents brought
 * with member files) runs under. Without a setting it is PIPL, the strictest, which is also what
 * collaborations assume. Changing it is an audited act of the tenant's operator: under an opt-out
 * regime silence allows profiling, under PIPL it does not.
 */
import type { Kysely } from 'kysely';
import type { Regime } from '../../consent/consent-event.ts';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { Database } from '../db/schema.ts';
import { withTenant, type TenantTransaction } from '../db/tenant-scope.ts';

export const DEFAULT_FIRST_PARTY_REGIME: Regime = 'pipl';

export async function firstPartyRegimeOf(trx: TenantTransaction): Promise<Regime> {
  const row = await trx.selectFrom('tenant_settings').select('first_party_regime').executeTakeFirst();
  return row?.first_party_regime ?? DEFAULT_FIRST_PARTY_REGIME;
}

export async function setFirstPartyRegime(db: Kysely<Database>, tenantId: string, regime: Regime, actor: string): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    const before = await firstPartyRegimeOf(trx);
    await trx
      .insertInto('tenant_settings')
      .values({ tenant_id: tenantId, first_party_regime: regime })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ first_party_regime: regime, updated_at: new Date() }))
      .execute();
    if (before !== regime) await recordAuditEvent(trx, { actor, action: 'tenant.first_party_regime.changed', targetType: 'tenant', targetId: tenantId, details: { from: before, to: regime } });
  });
}
