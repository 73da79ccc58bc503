/**
 * Contact preferences and consent-rate analytics: the append-only history of preference changes and
 * its current-state projection, the contact log that frequency caps count, and the log of notices
 * served (impressions) that consent rates divide by. All are tenant tables under row-level
 * security; the history, the contact log and the impressions refuse UPDATE and DELETE.
 */
import { sql, type Kysely } from 'kysely';
import { isolateTenants, makeAppendOnly } from './tenant-table-ddl.ts';

const tenantTables = ['consent_preference_changes', 'consent_preferences', 'consent_contact_log', 'consent_notice_impressions'];
const appendOnlyTables = ['consent_preference_changes', 'consent_contact_log', 'consent_notice_impressions'];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table consent_preference_changes (
      tenant_id uuid not null references tenants(id),
      seq bigint generated always as identity,
      client_change_id text not null,
      subject text not null,
      mode text not null check (mode in ('replace', 'merge')),
      patch jsonb not null,
      actor text not null,
      channel text not null,
      source text not null,
      collected_at timestamptz not null,
      received_at timestamptz not null,
      primary key (tenant_id, seq),
      unique (tenant_id, client_change_id)
    )`.execute(db);
  await sql`create index consent_preference_changes_subject on consent_preference_changes (tenant_id, subject, seq)`.execute(db);

  // Field-level state (see consent/preference-state.ts), rebuilt from the history at any time.
  await sql`
    create table consent_preferences (
      tenant_id uuid not null references tenants(id),
      subject text not null,
      state jsonb not null,
      updated_by_seq bigint not null,
      updated_at timestamptz not null,
      primary key (tenant_id, subject)
    )`.execute(db);

  await sql`
    create table consent_contact_log (
      tenant_id uuid not null references tenants(id),
      client_send_id text not null,
      subject text not null,
      channel text not null,
      topic text,
      sent_at timestamptz not null,
      received_at timestamptz not null,
      primary key (tenant_id, client_send_id)
    )`.execute(db);
  await sql`create index consent_contact_log_window on consent_contact_log (tenant_id, subject, channel, sent_at)`.execute(db);

  await sql`
    create table consent_notice_impressions (
      tenant_id uuid not null references tenants(id),
      client_impression_id text not null,
      notice_id uuid not null references consent_notices(id),
      purposes text[] not null check (cardinality(purposes) > 0),
      channel text not null,
      served_at timestamptz not null,
      received_at timestamptz not null,
      primary key (tenant_id, client_impression_id)
    )`.execute(db);
  await sql`create index consent_notice_impressions_served on consent_notice_impressions (tenant_id, served_at)`.execute(db);
  // The consent-rate report counts the decisions that cite a notice, by collection time.
  await sql`create index consent_events_notice on consent_events (tenant_id, collected_at) where notice_id is not null`.execute(db);

  await isolateTenants(db, tenantTables);
  for (const table of tenantTables) {
    const writes = appendOnlyTables.includes(table) ? sql`select, insert` : sql`select, insert, update`;
    await sql`grant ${writes} on ${sql.table(table)} to accord_tenant`.execute(db);
  }
  await makeAppendOnly(db, appendOnlyTables);
}
