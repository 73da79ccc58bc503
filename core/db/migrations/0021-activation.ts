/**
 * Activation to ad platforms (Accord issue 12): destinations (an ad account with its sealed
 * credentials), syncs (an audience × destinations for a purpose), runs with per-destination state,
 * the membership ledger per (sync, destination) that makes each run send only adds and removes and
 * lets removals reach everyone Accord sent, and dead-lettered rows with their reasons.
 * The ledger keeps, sealed, the platform ids that were sent: a removal sends exactly those, even
 * after the person's identifiers changed or were erased. A removal confirmed for an erasure clears them.
 * At most one run of a sync is open at a time (a partial unique index): a second start joins it.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

const tables = ['activation_destinations', 'activation_syncs', 'activation_sync_destinations', 'activation_runs', 'activation_run_destinations', 'activation_members', 'activation_dead_letters'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table activation_destinations (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      platform text not null check (platform ~ '^[a-z][a-z0-9_]{0,39}$'),
      connector text not null check (connector ~ '^[a-z][a-z0-9_]{0,39}$'),
      name text not null check (length(name) between 1 and 200),
      account_id text not null check (account_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
      credentials_sealed bytea not null,
      status text not null default 'active' check (status in ('active', 'disabled')),
      created_at timestamptz not null default now(),
      disabled_at timestamptz,
      -- What later tables (results, conversions) refer to along with the tenant.
      unique (tenant_id, id)
    )`.execute(db);

  await sql`
    create table activation_syncs (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      name text not null check (length(name) between 1 and 200),
      audience_kind text not null check (audience_kind in ('segment', 'psi_matches')),
      segment_id bigint,
      psi_run_id uuid,
      purpose text not null,
      regime text not null,
      schedule_seconds integer check (schedule_seconds between 60 and 2592000),
      status text not null default 'active' check (status in ('active', 'disabled')),
      created_at timestamptz not null default now(),
      unique (tenant_id, id),
      check ((audience_kind = 'segment') = (segment_id is not null)),
      check ((audience_kind = 'psi_matches') = (psi_run_id is not null))
    )`.execute(db);

  await sql`
    create table activation_sync_destinations (
      tenant_id uuid not null references tenants(id),
      sync_id bigint not null references activation_syncs(id),
      destination_id bigint not null references activation_destinations(id),
      id_types jsonb not null,
      platform_audience jsonb,
      primary key (tenant_id, sync_id, destination_id)
    )`.execute(db);

  await sql`
    create table activation_runs (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      sync_id bigint not null references activation_syncs(id),
      trigger text not null check (trigger in ('manual', 'schedule')),
      state text not null check (state in ('planned', 'uploading', 'processing', 'done', 'partial', 'failed')),
      actor text not null,
      error text,
      created_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`create unique index activation_runs_one_open on activation_runs (tenant_id, sync_id) where state in ('planned', 'uploading', 'processing')`.execute(db);

  await sql`
    create table activation_run_destinations (
      tenant_id uuid not null references tenants(id),
      run_id bigint not null references activation_runs(id),
      destination_id bigint not null references activation_destinations(id),
      state text not null check (state in ('planned', 'uploading', 'processing', 'done', 'partial', 'failed')),
      planned_adds integer not null default 0,
      planned_removes integer not null default 0,
      added integer not null default 0,
      removed integer not null default 0,
      consent_excluded integer not null default 0,
      dead_lettered integer not null default 0,
      kept_min_size integer not null default 0,
      pending_chunks integer not null default 0,
      requests integer not null default 0,
      receipts jsonb not null default '[]',
      -- Chunks whose outcome is written: a chunk job delivered twice counts once.
      done_chunks jsonb not null default '[]',
      match jsonb,
      error text,
      primary key (tenant_id, run_id, destination_id)
    )`.execute(db);

  await sql`
    create table activation_members (
      tenant_id uuid not null references tenants(id),
      sync_id bigint not null references activation_syncs(id),
      destination_id bigint not null references activation_destinations(id),
      person_id bigint not null,
      state text not null check (state in ('present', 'removing', 'kept', 'removed')),
      ids_sealed bytea,
      added_run_id bigint,
      added_at timestamptz not null default now(),
      removal_reason text check (removal_reason in ('audience', 'withdrawal', 'erasure')),
      removal_request_id uuid,
      removed_at timestamptz,
      primary key (tenant_id, sync_id, destination_id, person_id),
      check ((state = 'removed') = (removed_at is not null))
    )`.execute(db);
  await sql`create index activation_members_person on activation_members (tenant_id, person_id)`.execute(db);
  await sql`create index activation_members_removing on activation_members (tenant_id, destination_id) where state = 'removing'`.execute(db);

  await sql`
    create table activation_dead_letters (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      run_id bigint references activation_runs(id),
      sync_id bigint not null references activation_syncs(id),
      destination_id bigint not null references activation_destinations(id),
      person_id bigint not null,
      op text not null check (op in ('add', 'remove', 'replace')),
      reason text not null,
      detail text not null default '',
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index activation_dead_letters_run on activation_dead_letters (tenant_id, run_id)`.execute(db);

  await isolateTenants(db, tables);
  for (const table of tables) await sql`grant select, insert, update on ${sql.table(table)} to accord_tenant`.execute(db);
}
