/**
 * Data-subject rights: the subject vault (per-subject data keys and the personal payloads sealed
 * under them, so erasure is crypto-shredding), privacy requests with their append-only trail,
 * suppression tombstones that outlive everything else about an erased person, and the disclosure
 * log of which recipient was sent whose data. All are tenant tables under row-level security.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

const tenantTables = ['subject_keys', 'subject_personal_data', 'privacy_requests', 'privacy_request_trail', 'suppression_tombstones', 'subject_disclosures'];
const appendOnlyTables = ['privacy_request_trail', 'suppression_tombstones', 'subject_disclosures'];

export async function up(db: Kysely<unknown>): Promise<void> {
  // The subject's data key, sealed under the tenant's vault key. Deleting the row shreds every payload.
  await sql`
    create table subject_keys (
      tenant_id uuid not null references tenants(id),
      subject text not null,
      key_sealed bytea not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, subject)
    )`.execute(db);

  // A payload never outlives its key: the foreign key makes the key's deletion wait for its payloads.
  await sql`
    create table subject_personal_data (
      tenant_id uuid not null,
      subject text not null,
      field text not null check (field ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' and length(field) <= 100),
      value_sealed bytea not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (tenant_id, subject, field),
      foreign key (tenant_id, subject) references subject_keys (tenant_id, subject)
    )`.execute(db);

  await sql`
    create table privacy_requests (
      id uuid primary key default gen_random_uuid(),
      tenant_id uuid not null references tenants(id),
      kind text not null check (kind in ('access', 'erasure', 'rectification', 'restriction')),
      regime text not null check (regime in ('pipl', 'gdpr', 'ccpa')),
      subject text not null,
      status text not null default 'received' check (status in ('received', 'verifying', 'in_progress', 'completed', 'rejected')),
      received_at timestamptz not null,
      due_at timestamptz not null,
      extended boolean not null default false,
      verification_method text,
      verification_reference text,
      closed_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index privacy_requests_due on privacy_requests (tenant_id, due_at, id)`.execute(db);
  await sql`create index privacy_requests_subject on privacy_requests (tenant_id, subject)`.execute(db);

  // Who did what to a request, when. Field names only, never personal values.
  await sql`
    create table privacy_request_trail (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      request_id uuid not null references privacy_requests(id),
      actor text not null,
      action text not null,
      from_status text,
      to_status text,
      details jsonb not null default '{}',
      occurred_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index privacy_request_trail_request on privacy_request_trail (tenant_id, request_id, id)`.execute(db);

  // No foreign key to the request: removing a request (by whatever means) must never take its tombstone along.
  await sql`
    create table suppression_tombstones (
      tenant_id uuid not null references tenants(id),
      hash bytea not null check (length(hash) = 32),
      kind text not null,
      request_id uuid,
      created_at timestamptz not null default now(),
      primary key (tenant_id, hash)
    )`.execute(db);

  // Which recipient was sent a subject's data (activation, partner matches): erasure notifies them (GDPR Art. 19).
  await sql`
    create table subject_disclosures (
      id bigint generated always as identity primary key,
      tenant_id uuid not null references tenants(id),
      subject text not null,
      recipient text not null,
      purpose text not null,
      reference text not null,
      disclosed_at timestamptz not null
    )`.execute(db);
  await sql`create index subject_disclosures_subject on subject_disclosures (tenant_id, subject, id)`.execute(db);

  await isolateTenants(db, tenantTables);
  await sql`grant select, insert, delete on subject_keys to accord_tenant`.execute(db);
  await sql`grant select, insert, update, delete on subject_personal_data to accord_tenant`.execute(db);
  // Requests are evidence of how a right was honoured: they change status, they are not deleted.
  await sql`grant select, insert, update on privacy_requests to accord_tenant`.execute(db);
  await sql`grant select, insert on privacy_request_trail, suppression_tombstones, subject_disclosures to accord_tenant`.execute(db);
  await makeAppendOnly(db, appendOnlyTables);
}
