/**
 * PSI runs (core/psi/): one row per run on each node that takes part, the protocol's intermediate
 * sets as numbered frames (so a restarted worker resumes from the last stored frame and a replayed
 * frame is refused after a restart too), and the matched audience a run released. The run's secret
 * scalar is kept sealed only while the run is open and erased when it ends.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table psi_runs (
      tenant_id uuid not null references tenants(id),
      id uuid not null,
      collaboration_id uuid not null,
      role text not null check (role in ('client', 'server')),
      peer_node_id uuid not null,
      suite text not null,
      id_types text[] not null,
      segment_id bigint,
      status text not null check (status in ('preparing', 'ready', 'running', 'finished', 'failed')),
      client_learns_members boolean not null,
      server_learns_members boolean not null,
      declared jsonb not null default '{}',
      progress jsonb not null default '{}',
      result jsonb,
      error text,
      key_sealed bytea,
      started_by text not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz,
      primary key (tenant_id, id),
      check (status in ('finished', 'failed') = (finished_at is not null)),
      check (status not in ('finished', 'failed') or key_sealed is null)
    )`.execute(db);
  await sql`create index psi_runs_collaboration on psi_runs (tenant_id, collaboration_id, created_at)`.execute(db);

  await sql`
    create table psi_run_frames (
      tenant_id uuid not null references tenants(id),
      run_id uuid not null,
      id_type text not null,
      stream text not null,
      seq integer not null check (seq >= 0),
      body bytea not null,
      primary key (tenant_id, run_id, id_type, stream, seq),
      foreign key (tenant_id, run_id) references psi_runs (tenant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table psi_matches (
      tenant_id uuid not null references tenants(id),
      run_id uuid not null,
      person_id bigint not null,
      id_type text not null,
      primary key (tenant_id, run_id, person_id),
      foreign key (tenant_id, run_id) references psi_runs (tenant_id, id)
    )`.execute(db);

  await isolateTenants(db, ['psi_runs', 'psi_run_frames', 'psi_matches']);
  await sql`grant select, insert, update on psi_runs to accord_tenant`.execute(db);
  await sql`grant select, insert, delete on psi_run_frames to accord_tenant`.execute(db);
  await sql`grant select, insert on psi_matches to accord_tenant`.execute(db);
  await makeAppendOnly(db, ['psi_matches']);
}
