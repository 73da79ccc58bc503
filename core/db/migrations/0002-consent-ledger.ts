/**
 * Consent ledger: purposes, immutable notice versions, the append-only hash-chained event log (one
 * chain per tenant, head kept in consent_chain_heads), and consent_state, the projection the gate
 * reads. All are tenant tables under row-level security. Events refuse UPDATE and DELETE.
 */
import { sql, type Kysely } from 'kysely';

const tenantTables = ['consent_purposes', 'consent_notices', 'consent_events', 'consent_chain_heads', 'consent_subjects', 'consent_state', 'consent_checkpoints'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table consent_purposes (
      tenant_id uuid not null references tenants(id),
      key text not null check (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
      name text not null,
      mechanism text not null check (mechanism in ('opt_in', 'opt_out', 'notice_only')),
      legal_basis jsonb not null,
      retention_days integer check (retention_days > 0),
      sensitive_category text,
      requires_named_recipient boolean not null,
      cross_border boolean not null,
      public_disclosure boolean not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, key)
    )`.execute(db);

  await sql`
    create table consent_notices (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      notice_key text not null,
      version integer not null check (version > 0),
      language text not null,
      content_hash bytea not null check (length(content_hash) = 32),
      purposes text[] not null,
      recipients text[] not null,
      data_categories text[] not null,
      created_at timestamptz not null default now(),
      disabled_at timestamptz,
      unique (tenant_id, notice_key, version, language)
    )`.execute(db);

  await sql`
    create table consent_events (
      tenant_id uuid not null references tenants(id),
      seq bigint not null check (seq > 0),
      client_event_id text not null,
      subject text not null,
      purpose text not null,
      recipient text not null,
      regime text not null check (regime in ('pipl', 'gdpr', 'ccpa')),
      kind text not null check (kind in ('given', 'refused', 'withdrawn', 'expired', 'invalidated', 'guardian_given')),
      notice_id uuid,
      channel text not null,
      source text not null,
      evidence jsonb not null,
      collected_at timestamptz not null,
      received_at timestamptz not null,
      link bytea not null check (length(link) = 32),
      primary key (tenant_id, seq),
      unique (tenant_id, client_event_id)
    )`.execute(db);
  await sql`create index consent_events_subject on consent_events (tenant_id, subject, seq)`.execute(db);

  await sql`
    create table consent_chain_heads (
      tenant_id uuid primary key references tenants(id),
      seq bigint not null,
      link bytea not null check (length(link) = 32)
    )`.execute(db);

  // Integer keys for subjects, so the batch gate works on bitsets instead of strings.
  await sql`
    create table consent_subjects (
      tenant_id uuid not null references tenants(id),
      subject text not null,
      key integer generated always as identity,
      primary key (tenant_id, subject),
      unique (key)
    )`.execute(db);

  await sql`
    create table consent_state (
      tenant_id uuid not null references tenants(id),
      subject text not null,
      subject_key integer not null,
      purpose text not null,
      recipient text not null,
      regime text not null,
      granted boolean not null,
      decided_by_seq bigint not null,
      decided_kind text not null,
      decided_at timestamptz not null,
      expires_at timestamptz,
      primary key (tenant_id, subject, purpose, recipient, regime)
    )`.execute(db);
  // The batch gate loads a projection by key order and refreshes it by decision sequence.
  await sql`create index consent_state_keys on consent_state (tenant_id, purpose, recipient, regime, subject_key)`.execute(db);
  await sql`create index consent_state_changes on consent_state (tenant_id, purpose, recipient, regime, decided_by_seq)`.execute(db);

  // Signed Merkle tree heads over the event log (RFC 6962 leaves = canonical event records).
  await sql`
    create table consent_checkpoints (
      tenant_id uuid not null references tenants(id),
      tree_size bigint not null check (tree_size > 0),
      root_hash bytea not null check (length(root_hash) = 32),
      body bytea not null,
      signature bytea not null check (length(signature) = 64),
      signed_at timestamptz not null,
      primary key (tenant_id, tree_size)
    )`.execute(db);

  for (const table of tenantTables) {
    const t = sql.table(table);
    await sql`alter table ${t} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${t}
        using (tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid)
        with check (tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid)`.execute(db);
  }
  await sql`grant select, insert on consent_events, consent_checkpoints to accord_tenant`.execute(db);
  await sql`grant select, insert, update on consent_purposes, consent_notices, consent_chain_heads, consent_subjects, consent_state to accord_tenant`.execute(db);
  for (const table of ['consent_events', 'consent_checkpoints']) {
    await sql`
      create trigger append_only before update or delete on ${sql.table(table)}
        for each row execute function reject_change()`.execute(db);
  }
}
