/**
 * First-party processing under the gate (issue 10). Tags, segments and portraits are profiling, so
 * they run for a purpose, `analytics.profiling`, that every tenant has: defined here for the
 * tenants that exist (ensureTenant defines it for new ones), spelled out because a migration never
 * changes, with the same fields as core/consent/profiling-purpose.ts. A tenant that already had a
 * purpose of that key keeps its own. tenant_settings holds the regime the tenant's first-party
 * processing runs under; without a row it is PIPL, the strictest, as collaborations assume.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table tenant_settings (
      tenant_id uuid primary key references tenants(id),
      first_party_regime text not null check (first_party_regime in ('pipl', 'gdpr', 'ccpa')),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await isolateTenants(db, ['tenant_settings']);
  await sql`grant select, insert, update on tenant_settings to accord_tenant`.execute(db);

  await sql`
    insert into consent_purposes (tenant_id, key, name, mechanism, legal_basis, retention_days, sensitive_category, requires_named_recipient, cross_border, public_disclosure)
    select id, 'analytics.profiling', 'Member analytics: tags, segments and portraits', 'opt_in', '{"ccpa":"opt_out","gdpr":"consent","pipl":"consent"}'::jsonb, null, null, false, false, false
    from tenants
    on conflict (tenant_id, key) do nothing`.execute(db);
}
