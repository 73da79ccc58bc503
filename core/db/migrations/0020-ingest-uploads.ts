/**
 * Ingest files run as jobs (Accord issue 11). An uploaded file is kept in the database, in parts,
 * until its run ends, so whichever worker takes the job (in this process, or a BullMQ worker on
 * another machine) reads the same bytes, and a restart does not lose a queued file. A run is
 * `queued` from its upload until a worker picks it up; `upload_id` names the stored file its
 * current job reads.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table ingest_runs drop constraint ingest_runs_status_check`.execute(db);
  await sql`alter table ingest_runs add constraint ingest_runs_status_check check (status in ('queued', 'running', 'completed', 'failed'))`.execute(db);
  await sql`alter table ingest_runs add column upload_id uuid`.execute(db);

  await sql`
    create table ingest_upload_parts (
      tenant_id uuid not null references tenants(id),
      upload_id uuid not null,
      part integer not null check (part >= 0),
      body bytea not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, upload_id, part)
    )`.execute(db);
  // The parts are read once and dropped: compressing them would cost more than it saves.
  await sql`alter table ingest_upload_parts alter column body set storage external`.execute(db);
  await isolateTenants(db, ['ingest_upload_parts']);
  await sql`grant select, insert, delete on ingest_upload_parts to accord_tenant`.execute(db);
}
