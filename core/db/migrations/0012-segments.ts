/**
 * Segments (core/segments/): a saved rule or list, its current members, and for every refresh the
 * members it added and removed, so activation can send only the difference. Refreshes and changes
 * are evidence of what a segment held when, so they are append-only; current membership is
 * rewritten by each refresh.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table segments (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      name text not null check (length(name) between 1 and 200),
      kind text not null check (kind in ('static', 'dynamic', 'imported')),
      rule jsonb,
      schedule_seconds integer check (schedule_seconds between 60 and 2592000),
      member_count integer not null default 0,
      import_report jsonb,
      last_refresh_id bigint,
      last_refreshed_at timestamptz,
      created_by text not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      check ((kind = 'imported') = (rule is null)),
      check (kind = 'dynamic' or schedule_seconds is null)
    )`.execute(db);

  await sql`
    create table segment_members (
      tenant_id uuid not null references tenants(id),
      segment_id bigint not null,
      person_id bigint not null,
      primary key (tenant_id, segment_id, person_id),
      foreign key (tenant_id, segment_id) references segments (tenant_id, id)
    )`.execute(db);

  await sql`
    create table segment_refreshes (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      segment_id bigint not null,
      trigger text not null,
      added integer not null,
      removed integer not null,
      member_count integer not null,
      refreshed_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, segment_id) references segments (tenant_id, id)
    )`.execute(db);
  await sql`create index segment_refreshes_segment on segment_refreshes (tenant_id, segment_id, id)`.execute(db);

  await sql`
    create table segment_membership_changes (
      tenant_id uuid not null references tenants(id),
      refresh_id bigint not null,
      segment_id bigint not null,
      person_id bigint not null,
      change text not null check (change in ('add', 'remove')),
      primary key (tenant_id, refresh_id, person_id),
      foreign key (tenant_id, refresh_id) references segment_refreshes (tenant_id, id)
    )`.execute(db);

  await isolateTenants(db, ['segments', 'segment_members', 'segment_refreshes', 'segment_membership_changes']);
  await sql`grant select, insert, update on segments to accord_tenant`.execute(db);
  await sql`grant select, insert, delete on segment_members to accord_tenant`.execute(db);
  await sql`grant select, insert on segment_refreshes, segment_membership_changes to accord_tenant`.execute(db);
  await makeAppendOnly(db, ['segment_refreshes', 'segment_membership_changes']);
}
