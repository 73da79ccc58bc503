/**
 * Identifiers of people: normalised (core/identifiers), found by a keyed lookup hash, the raw
 * canonical value sealed at rest; declared hashes are kept as they came (there is no raw to seal).
 * One row per (tenant, type, scope, value). Not append-only: erasure deletes a person's rows.
 * The identity graph (0008) refers to rows by id.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table identifiers (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      type text not null check (type ~ '^[a-z][a-z0-9_]{0,39}$'),
      scope text not null default '' check (length(scope) <= 128),
      lookup_hash bytea not null check (length(lookup_hash) = 32),
      value_sealed bytea,
      declared_hash text check (declared_hash ~ '^([0-9a-f]{32}|[0-9a-f]{64})$'),
      created_at timestamptz not null default now(),
      -- lookup_hash leads after the tenant so a batch lookup by hash is one index probe each.
      unique (tenant_id, lookup_hash, type, scope),
      check ((value_sealed is null) <> (declared_hash is null))
    )`.execute(db);

  await isolateTenants(db, ['identifiers']);
  // update: the no-op "on conflict do update" that makes a bulk upsert return existing ids.
  await sql`grant select, insert, update, delete on identifiers to accord_tenant`.execute(db);
}
