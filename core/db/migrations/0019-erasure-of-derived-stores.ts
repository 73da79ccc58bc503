/**
 * Erasure reaches what was derived from a person (Accord issue 10). Stored PSI matches and their
 * payloads stay append-only, with one exception: a transaction that names the privacy request it
 * carries out (`accord.erasure`, set by core/privacy/erase-derived-stores.ts) may delete rows.
 * The setting guards against a mistaken delete by code that is not erasure; it is not a boundary
 * against code running as the tenant role, which could set it too. Updates stay refused for all.
 * `privacy_request_removals` says, per request and derived store, how far the removal got: stores in
 * this database are `done` in the erasure's transaction; stores outside it (ad-platform destinations)
 * are `queued` until their removal is confirmed (`done`) or gives up (`failed`).
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

const erasable = ['psi_matches', 'psi_match_payloads'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function reject_change_outside_erasure() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and coalesce(current_setting('accord.erasure', true), '') <> '' then
        return old;
      end if;
      raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  for (const table of erasable) {
    const t = sql.table(table);
    await sql`drop trigger append_only on ${t}`.execute(db);
    await sql`create trigger append_only before update or delete on ${t} for each row execute function reject_change_outside_erasure()`.execute(db);
    await sql`grant delete on ${t} to accord_tenant`.execute(db);
  }

  await sql`
    create table privacy_request_removals (
      tenant_id uuid not null references tenants(id),
      request_id uuid not null references privacy_requests(id),
      store text not null check (length(store) between 1 and 200),
      status text not null check (status in ('done', 'queued', 'failed')),
      removed integer not null check (removed >= 0),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, request_id, store)
    )`.execute(db);
  await isolateTenants(db, ['privacy_request_removals']);
  await sql`grant select, insert, update on privacy_request_removals to accord_tenant`.execute(db);
}
