/**
 * Persons and the one-ID identity graph (core/one-id/). The graph is kept as a flattened
 * union-find: every identifier links straight to its person's current root, and an absorbed person
 * points at its survivor (merged_into, never a chain). Merges, splits and refused merges are
 * append-only identity_events. Identifier ids are rows of `identifiers` (0007); no foreign key, so
 * the graph does not care how identifiers are stored.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

const tenantTables = ['persons', 'identity_links', 'identity_no_merge', 'identity_cooccurrence', 'identity_separations', 'identity_events'];

export async function up(db: Kysely<unknown>): Promise<void> {
  // subject is THE consent-ledger subject of a person (core/one-id/person-subject.ts).
  await sql`
    create table persons (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      subject text generated always as ('person:' || id::text) stored,
      created_at timestamptz not null default now(),
      merged_into bigint,
      primary key (tenant_id, id),
      foreign key (tenant_id, merged_into) references persons (tenant_id, id),
      check (merged_into is null or merged_into <> id)
    )`.execute(db);
  await sql`create index persons_merged_into on persons (tenant_id, merged_into) where merged_into is not null`.execute(db);

  // No foreign key to persons: links are only written next to the persons they name, persons are
  // never deleted, and the per-row check halved the speed of linking a batch.
  await sql`
    create table identity_links (
      tenant_id uuid not null references tenants(id),
      identifier_id bigint not null check (identifier_id > 0),
      identifier_type text not null,
      person_id bigint not null,
      linked_at timestamptz not null default now(),
      primary key (tenant_id, identifier_id)
    )`.execute(db);
  await sql`create index identity_links_person on identity_links (tenant_id, person_id)`.execute(db);

  // Identifiers that no longer join persons: marked by an operator (a recycled phone number) or
  // flagged when a shared identifier passed its fan-out limit.
  await sql`
    create table identity_no_merge (
      tenant_id uuid not null references tenants(id),
      identifier_id bigint not null,
      reason text not null check (reason in ('fan_out', 'marked')),
      note text,
      marked_by text not null,
      marked_at timestamptz not null default now(),
      primary key (tenant_id, identifier_id)
    )`.execute(db);

  // Which primary identifiers a shared identifier was seen with, for its fan-out limit.
  await sql`
    create table identity_cooccurrence (
      tenant_id uuid not null references tenants(id),
      shared_id bigint not null,
      primary_id bigint not null,
      primary key (tenant_id, shared_id, primary_id)
    )`.execute(db);

  // Persons a split declared distinct: records joining them again are refused as blocked merges.
  await sql`
    create table identity_separations (
      tenant_id uuid not null references tenants(id),
      person_id bigint not null,
      other_person_id bigint not null,
      split_event_id bigint not null,
      primary key (tenant_id, person_id, other_person_id)
    )`.execute(db);

  await sql`
    create table identity_events (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      kind text not null check (kind in ('merge', 'split', 'blocked', 'marked')),
      person_id bigint,
      other_person_id bigint,
      identifier_ids bigint[] not null,
      reason text,
      actor text,
      details jsonb not null,
      dedupe_key text,
      occurred_at timestamptz not null default now(),
      primary key (tenant_id, id),
      unique (tenant_id, dedupe_key)
    )`.execute(db);
  await sql`create index identity_events_person on identity_events (tenant_id, person_id)`.execute(db);

  await isolateTenants(db, tenantTables);
  await sql`grant select, insert, update on persons to accord_tenant`.execute(db);
  // Erasure deletes a person's links along with their identifiers (core/privacy/erase-person-data.ts).
  await sql`grant select, insert, update, delete on identity_links to accord_tenant`.execute(db);
  await sql`grant select, insert on identity_no_merge, identity_cooccurrence, identity_separations, identity_events to accord_tenant`.execute(db);
  await makeAppendOnly(db, ['identity_events']);
}
