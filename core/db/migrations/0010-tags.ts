/**
 * Tags (static, rule, SQL) and their values per person, and the sandbox for analysts' SQL tags.
 *
 * The sandbox (core/tags/sql-tag-sandbox.ts) runs an analyst's SELECT as the NOLOGIN role
 * `accord_sql_tag`, which may read nothing but the views in schema `tag_views`. The views belong to
 * the migrating role (the tables' owner), so they read the base tables with the owner's rights and
 * not through row-level security: their own `where tenant_id = accord.tenant_id` is the tenant
 * fence, and `security_barrier` stops the planner from running the analyst's conditions on rows
 * before that fence. The fence reads a setting, so the sandbox role must not be able to change
 * settings: EXECUTE on set_config is taken from PUBLIC (it would also let a role switch back to a
 * more powerful one) and given to accord_tenant, whose members (the application) still need it.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

const tenantFence = sql`tenant_id = nullif(current_setting('accord.tenant_id', true), '')::uuid`;

/** The documented views an SQL tag may read, all with person_id where a person is meant. */
const views = {
  persons_v: sql`select id as person_id, created_at from persons where ${tenantFence} and merged_into is null`,
  attributes_v: sql`select person_id, key, value, source, observed_at from person_attributes where ${tenantFence}`,
  orders_v: sql`select id as order_id, external_id, person_id, placed_at, channel, status, currency, amount from orders where ${tenantFence}`,
  order_items_v: sql`select order_id, line, sku, category, quantity, amount from order_items where ${tenantFence}`,
  events_v: sql`select id as event_id, external_id, person_id, type, occurred_at, channel, properties from behaviour_events where ${tenantFence}`,
  tags_v: sql`select tag_key as tag, person_id, value, updated_at from tag_values where ${tenantFence}`,
};

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table tag_definitions (
      tenant_id uuid not null references tenants(id),
      key text not null check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
      kind text not null check (kind in ('static', 'rule', 'sql')),
      value_type text not null check (value_type in ('boolean', 'number', 'text')),
      multi_valued boolean not null,
      description text not null,
      owner text not null,
      query text,
      rule jsonb,
      schedule_seconds integer check (schedule_seconds between 60 and 2592000),
      last_computed_at timestamptz,
      last_error jsonb,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, key),
      check ((kind = 'sql') = (query is not null)),
      check ((kind = 'rule') = (rule is not null)),
      check (kind <> 'static' or schedule_seconds is null)
    )`.execute(db);

  // One row per (tag, person); a multi-valued tag keeps its values as one JSON array.
  await sql`
    create table tag_values (
      tenant_id uuid not null references tenants(id),
      tag_key text not null,
      person_id bigint not null,
      value jsonb not null,
      source text not null,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, tag_key, person_id),
      foreign key (tenant_id, tag_key) references tag_definitions (tenant_id, key) on delete cascade,
      foreign key (tenant_id, person_id) references persons (tenant_id, id)
    )`.execute(db);
  await sql`create index tag_values_person on tag_values (tenant_id, person_id)`.execute(db);

  await isolateTenants(db, ['tag_definitions', 'tag_values']);
  await sql`grant select, insert, update, delete on tag_definitions, tag_values to accord_tenant`.execute(db);

  // Roles are cluster-wide; another database on the same server may be creating it right now.
  await sql`
    do $$ begin
      create role accord_sql_tag nologin;
    exception when duplicate_object or unique_violation then null;
    end $$`.execute(db);
  // SET ROLE needs the session user to be a member; a superuser already may.
  await sql`
    do $$ begin
      if not (select rolsuper from pg_roles where rolname = current_user) then
        execute format('grant accord_sql_tag to %I', current_user);
      end if;
    exception when unique_violation then null;
    end $$`.execute(db);

  await sql`create schema tag_views`.execute(db);
  for (const [name, body] of Object.entries(views)) {
    await sql`create view ${sql.table(`tag_views.${name}`)} with (security_barrier) as ${body}`.execute(db);
  }
  await sql`grant usage on schema tag_views to accord_sql_tag`.execute(db);
  await sql`grant select on all tables in schema tag_views to accord_sql_tag`.execute(db);

  // Only the owner of pg_catalog (a superuser) may change its grants. Elsewhere the parser's
  // allow-list is the guard against set_config; say so instead of failing the migration.
  await sql`
    do $$ begin
      revoke execute on function pg_catalog.set_config(text, text, boolean) from public;
      grant execute on function pg_catalog.set_config(text, text, boolean) to accord_tenant;
    exception when insufficient_privilege then
      raise warning 'accord: set_config stays executable by every role; SQL tags rely on their parser allow-list for it';
    end $$`.execute(db);
}
