/**
 * Foundation schema: the node and its tenants, API keys, peers, audit log, processing records,
 * jobs and idempotency keys. Tenant tables are protected by row-level security: queries run as the
 * role `accord_tenant` with `accord.tenant_id` set for the transaction (see tenant-scope.ts), so a
 * query that forgets to filter by tenant still sees only its own tenant's rows.
 */
import { sql, type Kysely } from 'kysely';

const tenantTables = ['peers', 'audit_events', 'processing_records', 'jobs', 'idempotency_keys'];
const appendOnlyTables = ['audit_events', 'processing_records'];

export async function up(db: Kysely<unknown>): Promise<void> {
  // Roles are cluster-wide; another database on the same server may be creating it right now.
  await sql`
    do $$ begin
      create role accord_tenant nologin;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  await sql`
    do $$ begin
      if not (select rolsuper from pg_roles where rolname = current_user) then
        execute format('grant accord_tenant to %I', current_user);
      end if;
    exception when unique_violation then null;
    end $$`.execute(db);

  await sql`
    create table node (
      singleton boolean primary key default true check (singleton),
      id uuid not null,
      party_name text not null,
      public_key bytea not null check (length(public_key) = 32),
      private_key_sealed bytea not null,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table tenants (
      id uuid primary key default gen_random_uuid(),
      slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      name text not null,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table api_keys (
      id text primary key,
      tenant_id uuid not null references tenants(id),
      name text not null,
      scopes text[] not null,
      secret_hash bytea not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    )`.execute(db);

  await sql`
    create table peers (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      node_id uuid not null,
      name text not null,
      base_url text not null,
      public_key bytea not null check (length(public_key) = 32),
      created_at timestamptz not null default now(),
      unique (tenant_id, node_id)
    )`.execute(db);

  await sql`
    create table audit_events (
      id bigserial primary key,
      tenant_id uuid not null references tenants(id),
      actor text not null,
      action text not null,
      target_type text not null,
      target_id text,
      details jsonb not null default '{}',
      occurred_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table processing_records (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      activity text not null,
      purpose text not null,
      collaboration_id uuid,
      actor text not null,
      subjects_in bigint not null check (subjects_in >= 0),
      subjects_out bigint not null check (subjects_out >= 0),
      started_at timestamptz not null,
      finished_at timestamptz not null check (finished_at >= started_at),
      details jsonb not null default '{}'
    )`.execute(db);

  await sql`
    create table jobs (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      name text not null,
      payload jsonb not null,
      status text not null default 'pending'
        check (status in ('pending', 'dispatched', 'running', 'completed', 'failed')),
      attempts integer not null default 0,
      max_attempts integer not null check (max_attempts > 0),
      run_at timestamptz not null default now(),
      locked_by text,
      locked_at timestamptz,
      last_error text,
      created_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`create index jobs_ready on jobs (run_at) where status = 'pending'`.execute(db);

  await sql`
    create table idempotency_keys (
      tenant_id uuid not null references tenants(id),
      key text not null,
      request_hash text not null,
      response_status integer,
      response_body text,
      created_at timestamptz not null default now(),
      primary key (tenant_id, key)
    )`.execute(db);

  for (const table of tenantTables) {
    const t = sql.table(table);
    await sql`alter table ${t} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${t}
        using (tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid)
        with check (tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid)`.execute(db);
    const writes = appendOnlyTables.includes(table) ? sql`select, insert` : sql`select, insert, update, delete`;
    await sql`grant ${writes} on ${t} to accord_tenant`.execute(db);
  }
  await sql`grant usage on all sequences in schema public to accord_tenant`.execute(db);

  await sql`
    create function reject_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  for (const table of appendOnlyTables) {
    await sql`
      create trigger append_only before update or delete on ${sql.table(table)}
        for each row execute function reject_change()`.execute(db);
  }
}
