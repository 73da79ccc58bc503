/**
 * Collaborations (core/collaborations/): the terms every party signs, each party's signed approval
 * and revocation, and the messages this node still has to deliver to the other parties. Terms,
 * approvals and revocations are evidence of what was agreed and when, so they are append-only; the
 * status is derived from them. Deliveries are a work list and change as they are sent.
 * `node_request_nonces` belongs to the node, not a tenant: it remembers the nonces of signed
 * node-to-node requests for the replay window, whichever tenant the request was for.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table collaborations (
      tenant_id uuid not null references tenants(id),
      id uuid not null,
      terms jsonb not null,
      terms_hash bytea not null check (length(terms_hash) = 32),
      origin_node_id uuid not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, id)
    )`.execute(db);

  await sql`
    create table collaboration_approvals (
      tenant_id uuid not null references tenants(id),
      collaboration_id uuid not null,
      node_id uuid not null,
      constraints jsonb not null,
      signature bytea not null check (length(signature) = 64),
      approved_by text not null,
      recorded_at timestamptz not null default now(),
      primary key (tenant_id, collaboration_id, node_id),
      foreign key (tenant_id, collaboration_id) references collaborations (tenant_id, id)
    )`.execute(db);

  await sql`
    create table collaboration_revocations (
      tenant_id uuid not null references tenants(id),
      collaboration_id uuid not null,
      node_id uuid not null,
      reason text not null check (length(reason) <= 1000),
      revoked_at timestamptz not null,
      signature bytea not null check (length(signature) = 64),
      revoked_by text not null,
      recorded_at timestamptz not null default now(),
      primary key (tenant_id, collaboration_id, node_id),
      foreign key (tenant_id, collaboration_id) references collaborations (tenant_id, id)
    )`.execute(db);

  await sql`
    create table collaboration_deliveries (
      tenant_id uuid not null references tenants(id),
      id bigint generated always as identity,
      collaboration_id uuid not null,
      to_node_id uuid not null,
      kind text not null check (kind in ('approval', 'revocation')),
      status text not null default 'pending' check (status in ('pending', 'delivered')),
      attempts integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      delivered_at timestamptz,
      primary key (tenant_id, id),
      unique (tenant_id, collaboration_id, to_node_id, kind),
      foreign key (tenant_id, collaboration_id) references collaborations (tenant_id, id)
    )`.execute(db);
  await sql`create index collaboration_deliveries_pending on collaboration_deliveries (tenant_id, collaboration_id) where status = 'pending'`.execute(db);

  await sql`
    create table node_request_nonces (
      node_id uuid not null,
      nonce text not null,
      seen_at timestamptz not null default now(),
      primary key (node_id, nonce)
    )`.execute(db);
  await sql`create index node_request_nonces_seen on node_request_nonces (seen_at)`.execute(db);

  const tables = ['collaborations', 'collaboration_approvals', 'collaboration_revocations', 'collaboration_deliveries'];
  await isolateTenants(db, tables);
  await sql`grant select, insert on collaborations, collaboration_approvals, collaboration_revocations to accord_tenant`.execute(db);
  await sql`grant select, insert, update on collaboration_deliveries to accord_tenant`.execute(db);
  await makeAppendOnly(db, ['collaborations', 'collaboration_approvals', 'collaboration_revocations']);
}
