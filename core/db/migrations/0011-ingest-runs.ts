/**
 * Ingest runs (core/ingest/): one per (kind, file content hash) and tenant, so re-sending a file
 * resumes it after its last committed row or, once completed, changes nothing; JSON batches are
 * runs too, keyed by the hash of their canonical records. Counts are what the status API shows.
 * The issues are the per-row error report: row, column, field and reason, never the rejected
 * values, so erasing a person leaves nothing personal here.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table ingest_runs (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      kind text not null check (kind in ('members', 'orders', 'events')),
      content_hash bytea not null check (length(content_hash) = 32),
      format text not null check (format in ('csv', 'ndjson', 'json')),
      encoding text not null check (encoding in ('utf-8', 'gb18030')),
      mode text not null check (mode in ('strict', 'lenient')),
      status text not null check (status in ('running', 'completed', 'failed')),
      bytes bigint not null default 0,
      rows_read integer not null default 0,
      applied integer not null default 0,
      rejected integer not null default 0,
      persons_created integer not null default 0,
      persons_merged integer not null default 0,
      last_committed_row integer not null default 0,
      error jsonb,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz,
      unique (tenant_id, kind, content_hash)
    )`.execute(db);

  await sql`
    create table ingest_run_issues (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      run_id uuid not null references ingest_runs(id),
      row integer not null,
      line integer,
      column_number integer,
      field text,
      reason text not null,
      detail text not null
    )`.execute(db);
  await sql`create index ingest_run_issues_rows on ingest_run_issues (tenant_id, run_id, row)`.execute(db);

  await isolateTenants(db, ['ingest_runs', 'ingest_run_issues']);
  await sql`grant select, insert, update on ingest_runs to accord_tenant`.execute(db);
  // Issues of rows past the last committed chunk are dropped when a run resumes.
  await sql`grant select, insert, delete on ingest_run_issues to accord_tenant`.execute(db);
}
