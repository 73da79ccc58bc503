/**
 * Bulk consent imports: one row per import (its file's content hash, options, status, counts and the
 * last row committed, so a crashed import resumes and a re-upload appends nothing twice) and the
 * issues found per row (the conflict report). Tenant tables under row-level security. Issues name
 * rows, columns and reasons, never subject values, so erasure leaves nothing personal here.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table consent_imports (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      content_hash bytea not null check (length(content_hash) = 32),
      format text not null check (format in ('csv', 'ndjson')),
      encoding text not null check (encoding in ('utf-8', 'gb18030')),
      time_zone text,
      mode text not null check (mode in ('strict', 'lenient')),
      dry_run boolean not null,
      status text not null check (status in ('running', 'completed', 'failed')),
      rows_read integer not null default 0,
      last_committed_row integer not null default 0,
      appended integer not null default 0,
      duplicates integer not null default 0,
      skipped integer not null default 0,
      conflicts integer not null default 0,
      unchanged integer not null default 0,
      error jsonb,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  // A file is imported once per tenant; dry runs are reports and may repeat.
  await sql`create unique index consent_imports_file on consent_imports (tenant_id, content_hash) where not dry_run`.execute(db);

  await sql`
    create table consent_import_issues (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      import_id uuid not null references consent_imports(id),
      row integer not null,
      line integer,
      column_number integer,
      field text,
      severity text not null check (severity in ('error', 'warning')),
      reason text not null,
      detail text not null,
      client_event_id text
    )`.execute(db);
  await sql`create index consent_import_issues_rows on consent_import_issues (tenant_id, import_id, row)`.execute(db);

  await isolateTenants(db, ['consent_imports', 'consent_import_issues']);
  await sql`grant select, insert, update on consent_imports to accord_tenant`.execute(db);
  // Issues of rows past the last committed chunk are dropped when an import resumes.
  await sql`grant select, insert, delete on consent_import_issues to accord_tenant`.execute(db);
}
