/**
 * Console users of a tenant, made over the API by an admin (issue 14): a role (privacy officer,
 * marketer, admin) and a password of which only a scrypt hash is kept; disabling keeps the row, so
 * the audit trail can still name who acted. Tags and segments get `archived_at`: an archived one
 * keeps its history (values, refreshes, audit) but is no longer listed by default nor computed.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table console_users (
      tenant_id uuid not null references tenants(id),
      id uuid primary key default gen_random_uuid(),
      email text not null check (length(email) between 3 and 320),
      display_name text not null check (length(display_name) between 1 and 200),
      role text not null check (role in ('privacy_officer', 'marketer', 'admin')),
      password_hash text not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      disabled_at timestamptz
    )`.execute(db);
  await sql`create unique index console_users_email on console_users (tenant_id, lower(email))`.execute(db);
  await isolateTenants(db, ['console_users']);
  await sql`grant select, insert, update on console_users to accord_tenant`.execute(db);

  await sql`alter table tag_definitions add column archived_at timestamptz`.execute(db);
  await sql`alter table segments add column archived_at timestamptz`.execute(db);
}
