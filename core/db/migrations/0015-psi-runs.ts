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
      mode text not null default 'balanced' check (mode in ('balanced', 'unbalanced', 'payload')),
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

  // PSI with payload: the partner's tag values a match opened, per matched person.
  await sql`
    create table psi_match_payloads (
      tenant_id uuid not null references tenants(id),
      run_id uuid not null,
      person_id bigint not null,
      payload jsonb not null,
      primary key (tenant_id, run_id, person_id),
      foreign key (tenant_id, run_id, person_id) references psi_matches (tenant_id, run_id, person_id)
    )`.execute(db);

  // Unbalanced mode: the server's elements blinded under a key kept for an epoch, cached for later
  // runs as keyed fingerprints of the input digests and their blinded elements, in chunks. The
  // epoch's key is sealed like a run key.
  await sql`
    create table psi_key_epochs (
      tenant_id uuid not null references tenants(id),
      id uuid not null,
      collaboration_id uuid not null,
      peer_node_id uuid not null,
      key_sealed bytea not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`create index psi_key_epochs_collaboration on psi_key_epochs (tenant_id, collaboration_id, peer_node_id, created_at)`.execute(db);
  await sql`
    create table psi_epoch_sets (
      tenant_id uuid not null references tenants(id),
      epoch_id uuid not null,
      id_type text not null,
      seq integer not null,
      fingerprints bytea not null,
      elements bytea not null,
      primary key (tenant_id, epoch_id, id_type, seq),
      foreign key (tenant_id, epoch_id) references psi_key_epochs (tenant_id, id) on delete cascade
    )`.execute(db);

  await isolateTenants(db, ['psi_runs', 'psi_run_frames', 'psi_matches', 'psi_match_payloads', 'psi_key_epochs', 'psi_epoch_sets']);
  await sql`grant select, insert on psi_match_payloads to accord_tenant`.execute(db);
  await sql`grant select, insert, delete on psi_key_epochs, psi_epoch_sets to accord_tenant`.execute(db);
  await sql`grant select, insert, update on psi_runs to accord_tenant`.execute(db);
  await sql`grant select, insert, delete on psi_run_frames to accord_tenant`.execute(db);
  await sql`grant select, insert on psi_matches to accord_tenant`.execute(db);
  await makeAppendOnly(db, ['psi_matches', 'psi_match_payloads']);
}
