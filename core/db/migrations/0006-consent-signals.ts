/**
 * Signals from the wild (TCF TC strings, GPP strings, GPC): the tenant's versioned mapping from
 * internal purposes to TCF / GPP / Google Consent Mode / DPV, and every accepted signal with its raw
 * string, decoded summary and verdict. All append-only tenant tables under row-level security: a new
 * mapping is a new version, never an edit.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

const tenantTables = ['consent_signal_mapping_versions', 'consent_signal_mappings', 'consent_signals'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table consent_signal_mapping_versions (
      tenant_id uuid not null references tenants(id),
      version integer not null check (version > 0),
      published_by text not null,
      published_at timestamptz not null default now(),
      primary key (tenant_id, version)
    )`.execute(db);

  await sql`
    create table consent_signal_mappings (
      tenant_id uuid not null,
      version integer not null,
      purpose text not null,
      recipient text not null,
      tcf_purposes integer[] not null,
      tcf_vendor_id integer check (tcf_vendor_id > 0),
      gpp_usnat text[] not null,
      google_consent_mode text[] not null,
      dpv_purpose text,
      primary key (tenant_id, version, purpose, recipient),
      foreign key (tenant_id, version) references consent_signal_mapping_versions (tenant_id, version)
    )`.execute(db);

  await sql`
    create table consent_signals (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      fingerprint bytea not null check (length(fingerprint) = 32),
      subject text not null,
      regime text not null check (regime in ('pipl', 'gdpr', 'ccpa')),
      kind text not null check (kind in ('tcf', 'gpp', 'gpc')),
      raw text not null,
      decoded jsonb not null,
      verdict jsonb not null,
      mapping_version integer not null,
      source text not null,
      collected_at timestamptz not null,
      received_at timestamptz not null,
      unique (tenant_id, fingerprint)
    )`.execute(db);
  await sql`create index consent_signals_subject on consent_signals (tenant_id, subject, received_at)`.execute(db);

  await isolateTenants(db, tenantTables);
  for (const table of tenantTables) await sql`grant select, insert on ${sql.table(table)} to accord_tenant`.execute(db);
  await makeAppendOnly(db, tenantTables);
}
