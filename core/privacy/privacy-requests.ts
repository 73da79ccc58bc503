/**
 * Privacy requests as stored: created with the deadline their regime sets, moved through the
 * status machine in consent/privacy-request.ts, each change written to the append-only trail in
 * the same transaction. Overdue means still open past the deadline.
 */
import { sql } from 'kysely';
import type { Regime } from '../../consent/consent-event.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { canExtend, responseDueAt } from '../../consent/privacy-request-deadlines.ts';
import {
  checkTransition,
  isOpen,
  privacyRequestStatuses,
  type PrivacyRequestKind,
  type PrivacyRequestStatus,
  type TransitionInput,
  type Verification,
} from '../../consent/privacy-request.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError, notFound } from '../errors.ts';

export interface PrivacyRequest {
  readonly id: string;
  readonly kind: PrivacyRequestKind;
  readonly regime: Regime;
  readonly subject: string;
  readonly status: PrivacyRequestStatus;
  readonly receivedAt: Date;
  readonly dueAt: Date;
  readonly extended: boolean;
  readonly verification: Verification | null;
  readonly closedAt: Date | null;
  readonly createdAt: Date;
}

export interface TrailEntry {
  readonly actor: string;
  readonly action: string;
  readonly fromStatus: string | null;
  readonly toStatus: string | null;
  readonly details: Record<string, unknown>;
  readonly occurredAt: Date;
}

/** Receipt times run ahead of the server by at most this much (clock drift of the intake system). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const openStatuses = privacyRequestStatuses.filter(isOpen);

const columns = [
  'id', 'kind', 'regime', 'subject', 'status', 'received_at', 'due_at', 'extended',
  'verification_method', 'verification_reference', 'closed_at', 'created_at',
] as const;

type Row = {
  id: string; kind: string; regime: string; subject: string; status: string; received_at: Date; due_at: Date; extended: boolean;
  verification_method: string | null; verification_reference: string | null; closed_at: Date | null; created_at: Date;
};

const toRequest = (row: Row): PrivacyRequest => ({
  id: row.id,
  kind: row.kind as PrivacyRequestKind,
  regime: row.regime as Regime,
  subject: row.subject,
  status: row.status as PrivacyRequestStatus,
  receivedAt: row.received_at,
  dueAt: row.due_at,
  extended: row.extended,
  verification: row.verification_method !== null ? { method: row.verification_method, reference: row.verification_reference ?? '' } : null,
  closedAt: row.closed_at,
  createdAt: row.created_at,
});

export const isOverdue = (request: Pick<PrivacyRequest, 'status' | 'dueAt'>, at: Date) => isOpen(request.status) && request.dueAt.getTime() < at.getTime();

export async function appendTrail(
  trx: TenantTransaction,
  entry: { requestId: string; actor: string; action: string; fromStatus?: string | undefined; toStatus?: string | undefined; details?: Record<string, unknown> },
): Promise<void> {
  await trx
    .insertInto('privacy_request_trail')
    .values({
      tenant_id: trx.tenantId,
      request_id: entry.requestId,
      actor: entry.actor,
      action: entry.action,
      from_status: entry.fromStatus ?? null,
      to_status: entry.toStatus ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

export async function readTrail(trx: TenantTransaction, requestId: string): Promise<TrailEntry[]> {
  const rows = await trx.selectFrom('privacy_request_trail').selectAll().where('request_id', '=', requestId).orderBy('id').execute();
  return rows.map((row) => ({
    actor: row.actor,
    action: row.action,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    details: row.details as Record<string, unknown>,
    occurredAt: row.occurred_at,
  }));
}

export async function createPrivacyRequest(
  trx: TenantTransaction,
  input: { kind: PrivacyRequestKind; regime: Regime; subject: string; receivedAt: Date },
  actor: string,
  now = new Date(),
): Promise<PrivacyRequest> {
  if (input.receivedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'receivedAt is in the future');
  const row = await trx
    .insertInto('privacy_requests')
    .values({
      tenant_id: trx.tenantId,
      kind: input.kind,
      regime: input.regime,
      subject: input.subject.normalize('NFC'),
      received_at: input.receivedAt,
      due_at: responseDueAt(input.regime, input.receivedAt, false),
      verification_method: null,
      verification_reference: null,
      closed_at: null,
    })
    .returning(columns)
    .executeTakeFirstOrThrow();
  await appendTrail(trx, { requestId: row.id, actor, action: 'created', toStatus: row.status, details: { kind: row.kind, regime: row.regime } });
  return toRequest(row);
}

/** The request, locked for the rest of the transaction when it will change. */
export async function findPrivacyRequest(trx: TenantTransaction, id: string, lock = false): Promise<PrivacyRequest | undefined> {
  let query = trx.selectFrom('privacy_requests').select(columns).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toRequest(row);
}

export async function getPrivacyRequest(trx: TenantTransaction, id: string, lock = false): Promise<PrivacyRequest> {
  const request = await findPrivacyRequest(trx, id, lock);
  if (!request) throw notFound('privacy request');
  return request;
}

export interface PrivacyRequestFilter {
  status?: PrivacyRequestStatus | undefined;
  overdue?: boolean | undefined;
  subject?: string | undefined;
  at: Date;
  limit: number;
  /** The id of the last request of the previous page. */
  after?: string | undefined;
}

/** Earliest deadline first, paged. */
export async function listPrivacyRequests(trx: TenantTransaction, filter: PrivacyRequestFilter): Promise<PrivacyRequest[]> {
  let query = trx.selectFrom('privacy_requests').select(columns).orderBy('due_at').orderBy('id').limit(filter.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.subject !== undefined) query = query.where('subject', '=', filter.subject.normalize('NFC'));
  if (filter.overdue !== undefined) {
    query = query.where((eb) => {
      const overdue = eb.and([eb('status', 'in', openStatuses), eb('due_at', '<', filter.at)]);
      return filter.overdue ? overdue : eb.not(overdue);
    });
  }
  if (filter.after) {
    query = query.where(sql<boolean>`(due_at, id) > (select p.due_at, p.id from privacy_requests p where p.id = ${filter.after})`);
  }
  return (await query.execute()).map(toRequest);
}

export async function transitionPrivacyRequest(trx: TenantTransaction, id: string, input: TransitionInput, actor: string, now = new Date()): Promise<PrivacyRequest> {
  const request = await getPrivacyRequest(trx, id, true);
  const verification = checkTransition(request, input);
  const row = await trx
    .updateTable('privacy_requests')
    .set({
      status: input.to,
      verification_method: verification?.method ?? null,
      verification_reference: verification?.reference ?? null,
      closed_at: isOpen(input.to) ? null : now,
    })
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirstOrThrow();
  await appendTrail(trx, {
    requestId: id,
    actor,
    action: 'status_changed',
    fromStatus: request.status,
    toStatus: input.to,
    details: { ...(input.verification ? { verification: input.verification } : {}), ...(input.reason ? { reason: input.reason } : {}) },
  });
  return toRequest(row);
}

/** Takes the regime's one extension (GDPR, CCPA); the reason is what the person is told. */
export async function extendPrivacyRequest(trx: TenantTransaction, id: string, reason: string, actor: string): Promise<PrivacyRequest> {
  const request = await getPrivacyRequest(trx, id, true);
  if (!isOpen(request.status)) throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', `a ${request.status} request has no deadline to extend`);
  if (!canExtend(request.regime)) throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', `${request.regime} sets no extension of the response deadline`);
  if (request.extended) throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', 'the deadline was already extended; it can be extended once');
  const dueAt = responseDueAt(request.regime, request.receivedAt, true);
  const row = await trx.updateTable('privacy_requests').set({ extended: true, due_at: dueAt }).where('id', '=', id).returning(columns).executeTakeFirstOrThrow();
  await appendTrail(trx, { requestId: id, actor, action: 'deadline_extended', details: { reason, from: request.dueAt.toISOString(), to: dueAt.toISOString() } });
  return toRequest(row);
}
