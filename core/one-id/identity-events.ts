/**
 * The identity graph's history (append-only identity_events): merges (survivor, absorbed, the
 * identifiers that moved, the record that caused it), splits (which identifiers left to which new
 * person, by whom and why), blocked merges (which identifier stayed where, and the rule that held
 * it), and never-merge marks. Each event has a key, so replaying the same records adds nothing.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export type IdentityEventKind = 'merge' | 'split' | 'blocked' | 'marked';

export interface IdentityEventInput {
  readonly kind: IdentityEventKind;
  /** merge: survivor; split: the person split; blocked: the person the record went to. */
  readonly personId: number | null;
  /** merge: absorbed; split: the new person; blocked: where the identifier stayed. */
  readonly otherPersonId: number | null;
  readonly identifierIds: readonly number[];
  readonly reason: string | null;
  readonly actor: string | null;
  readonly details: Record<string, unknown>;
  readonly dedupeKey: string | null;
}

export interface IdentityEvent extends IdentityEventInput {
  readonly id: number;
  readonly occurredAt: Date;
}

/** Appends events, skipping ones whose key is already there; returns those appended. */
export async function appendIdentityEvents(trx: TenantTransaction, events: readonly IdentityEventInput[]): Promise<Array<{ id: number; kind: IdentityEventKind }>> {
  if (events.length === 0) return [];
  const rows = events.map((event) => ({
    kind: event.kind,
    person_id: event.personId,
    other_person_id: event.otherPersonId,
    identifier_ids: event.identifierIds,
    reason: event.reason,
    actor: event.actor,
    details: event.details,
    dedupe_key: event.dedupeKey,
  }));
  // One parameter for any number of events.
  const inserted = await sql<{ id: number; kind: IdentityEventKind }>`
    insert into identity_events (tenant_id, kind, person_id, other_person_id, identifier_ids, reason, actor, details, dedupe_key)
    select ${trx.tenantId}::uuid, e.kind, e.person_id, e.other_person_id, e.identifier_ids, e.reason, e.actor, e.details, e.dedupe_key
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as e(kind text, person_id bigint, other_person_id bigint, identifier_ids bigint[], reason text, actor text, details jsonb, dedupe_key text)
    on conflict (tenant_id, dedupe_key) do nothing
    returning id, kind`.execute(trx);
  return inserted.rows.map((row) => ({ id: Number(row.id), kind: row.kind }));
}

/** A person's events (as survivor, absorbed, split source or target), oldest first. */
export async function identityEventsOf(trx: TenantTransaction, personId: number): Promise<IdentityEvent[]> {
  const rows = await trx
    .selectFrom('identity_events')
    .selectAll()
    .where((eb) => eb.or([eb('person_id', '=', personId), eb('other_person_id', '=', personId)]))
    .orderBy('id')
    .execute();
  return rows.map(eventOf);
}

export async function identityEvent(trx: TenantTransaction, id: number): Promise<IdentityEvent | undefined> {
  const row = await trx.selectFrom('identity_events').selectAll().where('id', '=', id).executeTakeFirst();
  return row && eventOf(row);
}

function eventOf(row: {
  id: number;
  kind: IdentityEventKind;
  person_id: number | null;
  other_person_id: number | null;
  identifier_ids: number[];
  reason: string | null;
  actor: string | null;
  details: unknown;
  dedupe_key: string | null;
  occurred_at: Date;
}): IdentityEvent {
  return {
    id: Number(row.id),
    kind: row.kind,
    personId: row.person_id === null ? null : Number(row.person_id),
    otherPersonId: row.other_person_id === null ? null : Number(row.other_person_id),
    // int8[] arrives as strings from pg, as numbers from PGlite.
    identifierIds: row.identifier_ids.map(Number),
    reason: row.reason,
    actor: row.actor,
    details: row.details as Record<string, unknown>,
    dedupeKey: row.dedupe_key,
    occurredAt: row.occurred_at,
  };
}
