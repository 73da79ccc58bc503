/**
 * Federated scoring (Accord issue 13). `scoring_models` holds one party's side of a model: the spec
 * both parties signed (with each party's signed approval), the aligned rows (this node's person ids
 * in the order both parties share), the party's secrets sealed under the master key, the checkpoint
 * after the last step (weights and, at the provider, the mask sums of the products it sent), live
 * progress and the final model. `scoring_messages` is the blob store and each party's inbox: every
 * step message in or out, as bytes, referenced from jobs by (model, direction, kind, step) and never
 * put in a job payload. One message per (model, direction, kind, step): a second, different one is
 * refused, which keeps the brand from answering one step twice (core/scoring/model-messages.ts).
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table scoring_models (
      tenant_id uuid not null references tenants(id),
      id uuid not null,
      collaboration_id uuid not null,
      role text not null check (role in ('brand', 'provider')),
      peer_node_id uuid not null,
      spec jsonb not null,
      approvals jsonb not null default '[]',
      status text not null check (status in ('proposed', 'approved', 'training', 'trained', 'failed')),
      row_persons jsonb,
      secrets_sealed bytea,
      checkpoint jsonb,
      progress jsonb not null default '[]',
      model jsonb,
      error text,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);
  await sql`
    create table scoring_messages (
      tenant_id uuid not null references tenants(id),
      model_id uuid not null,
      direction text not null check (direction in ('in', 'out')),
      kind text not null check (kind ~ '^[a-z][a-z-]{0,39}$'),
      step integer not null check (step >= 0),
      digest text not null,
      bytes bytea not null,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (tenant_id, model_id, direction, kind, step),
      foreign key (tenant_id, model_id) references scoring_models (tenant_id, id)
    )`.execute(db);
  // Per person and model: how many scores were released, for the provider's per-person cap.
  await sql`
    create table scoring_releases (
      tenant_id uuid not null references tenants(id),
      model_id uuid not null,
      person_id bigint not null,
      releases integer not null check (releases >= 1),
      primary key (tenant_id, model_id, person_id),
      foreign key (tenant_id, model_id) references scoring_models (tenant_id, id)
    )`.execute(db);
  // A lookalike expansion: at the brand, the aggregate report it received; at the provider, the same
  // report and the audience it materialised (best first), which stays on the provider's side.
  await sql`
    create table scoring_lookalikes (
      tenant_id uuid not null references tenants(id),
      id uuid not null,
      model_id uuid not null,
      sizes jsonb not null,
      report jsonb not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id),
      foreign key (tenant_id, model_id) references scoring_models (tenant_id, id)
    )`.execute(db);
  await sql`
    create table scoring_lookalike_members (
      tenant_id uuid not null references tenants(id),
      lookalike_id uuid not null,
      rank integer not null check (rank >= 1),
      person_id bigint not null,
      primary key (tenant_id, lookalike_id, rank),
      foreign key (tenant_id, lookalike_id) references scoring_lookalikes (tenant_id, id)
    )`.execute(db);
  const tables = ['scoring_models', 'scoring_messages', 'scoring_releases', 'scoring_lookalikes', 'scoring_lookalike_members'];
  await isolateTenants(db, tables);
  await sql`grant select, insert, update on ${sql.join(tables.map((t) => sql.table(t)))} to accord_tenant`.execute(db);
}
