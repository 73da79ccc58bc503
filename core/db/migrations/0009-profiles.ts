/**
 * What a brand knows about its people besides identifiers: attributes (city, birthday, member
 * level: one current value per key, with where it came from), orders with their items, and
 * behaviour events. Rows hang off persons (0008); when persons merge, their rows are re-pointed to
 * the survivor by the merge. Amounts are exact (numeric), never floats.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

const tenantTables = ['person_attributes', 'orders', 'order_items', 'behaviour_events'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table person_attributes (
      tenant_id uuid not null references tenants(id),
      person_id bigint not null,
      key text not null check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
      value jsonb not null,
      source text not null,
      observed_at timestamptz not null,
      primary key (tenant_id, person_id, key),
      foreign key (tenant_id, person_id) references persons (tenant_id, id)
    )`.execute(db);
  await sql`create index person_attributes_key on person_attributes (tenant_id, key)`.execute(db);

  await sql`
    create table orders (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      external_id text not null,
      person_id bigint not null,
      placed_at timestamptz not null,
      channel text not null,
      status text not null check (status in ('paid', 'refunded', 'cancelled')),
      currency text not null check (currency ~ '^[A-Z]{3}$'),
      amount numeric(14, 2) not null check (amount >= 0),
      primary key (tenant_id, id),
      unique (tenant_id, external_id),
      foreign key (tenant_id, person_id) references persons (tenant_id, id)
    )`.execute(db);
  await sql`create index orders_person on orders (tenant_id, person_id, placed_at)`.execute(db);

  await sql`
    create table order_items (
      tenant_id uuid not null references tenants(id),
      order_id bigint not null,
      line integer not null check (line > 0),
      sku text not null,
      category text,
      quantity integer not null check (quantity > 0),
      amount numeric(14, 2) not null check (amount >= 0),
      primary key (tenant_id, order_id, line),
      foreign key (tenant_id, order_id) references orders (tenant_id, id)
    )`.execute(db);

  await sql`
    create table behaviour_events (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      external_id text not null,
      person_id bigint not null,
      type text not null check (type ~ '^[a-z][a-z0-9_.]{0,62}$'),
      occurred_at timestamptz not null,
      channel text not null,
      properties jsonb not null default '{}',
      primary key (tenant_id, id),
      unique (tenant_id, external_id),
      foreign key (tenant_id, person_id) references persons (tenant_id, id)
    )`.execute(db);
  await sql`create index behaviour_events_person on behaviour_events (tenant_id, person_id, occurred_at)`.execute(db);
  await sql`create index behaviour_events_type on behaviour_events (tenant_id, type, occurred_at)`.execute(db);

  await isolateTenants(db, tenantTables);
  await sql`grant select, insert, update, delete on person_attributes, orders, order_items, behaviour_events to accord_tenant`.execute(db);
}
