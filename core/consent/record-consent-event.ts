/**
 * Records one consent event: validates it against the purpose and the notice shown, appends it to
 * the tenant's hash chain, and updates the consent_state projection, all in the caller's transaction.
 * Resubmitting the same client event id returns the stored event instead of appending a copy.
 */

import { ConsentError } from '../../consent/consent-errors.ts';
import { consentEventRecord, grantingKinds, type ConsentEvent, type EventKind, type Regime } from '../../consent/consent-event.ts';
import { decideState, type ConsentDecision } from '../../consent/decide-state.ts';
import { chainLink, GENESIS_LINK } from '../../crypto/hash-chain.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { findNotice } from './notices.ts';
import { findPurpose } from './purposes.ts';

export interface ConsentEventInput {
  clientEventId: string;
  subject: string;
  purpose: string;
  recipient?: string | undefined;
  regime: Regime;
  kind: EventKind;
  /** The notice version shown; required for grants. */
  noticeId?: string | undefined;
  channel: string;
  source: string;
  evidence?: Record<string, string> | undefined;
  collectedAt: Date;
  /** The subject is under 14 (PIPL Art. 31): only a guardian's grant, with evidence, counts. */
  subjectIsMinor?: boolean | undefined;
}

export interface RecordedEvent {
  seq: number;
  duplicate: boolean;
  decision: ConsentDecision | undefined;
}

/** Clocks of collection points drift; beyond this a future collection time is refused. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
const MAX_EVIDENCE_KEYS = 16;
const MAX_EVIDENCE_VALUE = 512;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const nfc = (text: string) => text.normalize('NFC');

function checkEvidence(evidence: Record<string, string>): Record<string, string> {
  const entries = Object.entries(evidence);
  if (entries.length > MAX_EVIDENCE_KEYS) throw new ConsentError('ACCORD_ERR_CONSENT_EVIDENCE', `evidence has more than ${MAX_EVIDENCE_KEYS} entries`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || value.length > MAX_EVIDENCE_VALUE) {
      throw new ConsentError('ACCORD_ERR_CONSENT_EVIDENCE', `evidence ${key} must be a string of at most ${MAX_EVIDENCE_VALUE} characters`);
    }
  }
  return Object.fromEntries(entries.map(([key, value]) => [nfc(key), nfc(value)]));
}

async function validate(trx: TenantTransaction, input: ConsentEventInput, receivedAt: Date): Promise<{ recipient: string; retentionDays: number | null }> {
  const purpose = await findPurpose(trx, input.purpose);
  if (!purpose) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE', `unknown purpose ${input.purpose}`);
  if (!purpose.legalBasis[input.regime]) {
    throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `purpose ${purpose.key} is not processed under ${input.regime}`);
  }
  const recipient = nfc(input.recipient ?? '');
  if (purpose.requiresNamedRecipient !== (recipient !== '')) {
    throw new ConsentError(
      'ACCORD_ERR_CONSENT_RECIPIENT',
      purpose.requiresNamedRecipient ? `purpose ${purpose.key} needs consent per named recipient` : `purpose ${purpose.key} takes no recipient`,
    );
  }
  if (input.collectedAt.getTime() > receivedAt.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new ConsentError('ACCORD_ERR_CONSENT_COLLECTED_AT', 'collectedAt is in the future');
  }
  const granting = grantingKinds.has(input.kind);
  if (input.subjectIsMinor && input.kind === 'given') {
    throw new ConsentError('ACCORD_ERR_CONSENT_MINOR', "a minor's own grant does not count; record the guardian's (guardian_given)");
  }
  if (input.kind === 'guardian_given' && !input.evidence?.guardianReference) {
    throw new ConsentError('ACCORD_ERR_CONSENT_MINOR', 'guardian_given needs evidence.guardianReference');
  }
  if (granting || input.noticeId !== undefined) {
    if (!input.noticeId || !UUID.test(input.noticeId)) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', 'a grant cites the notice version shown (noticeId)');
    const notice = await findNotice(trx, input.noticeId);
    if (!notice) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', `unknown notice ${input.noticeId}`);
    if (granting && notice.disabledAt) throw new ConsentError('ACCORD_ERR_CONSENT_NOTICE_DISABLED', `notice ${notice.noticeKey} v${notice.version} is disabled`);
    if (!notice.purposes.includes(purpose.key) || (recipient !== '' && !notice.recipients.includes(recipient))) {
      throw new ConsentError('ACCORD_ERR_CONSENT_NOTICE_SCOPE', `notice ${notice.noticeKey} v${notice.version} does not cover ${purpose.key}${recipient ? ` for ${recipient}` : ''}`);
    }
    // A consent cannot predate the notice it cites: that is backdating around a notice change.
    if (input.collectedAt.getTime() < notice.createdAt.getTime()) {
      throw new ConsentError('ACCORD_ERR_CONSENT_COLLECTED_AT', `collectedAt is before notice ${notice.noticeKey} v${notice.version} was published`);
    }
  }
  return { recipient, retentionDays: purpose.retentionDays };
}

export async function recordConsentEvent(trx: TenantTransaction, input: ConsentEventInput, receivedAt = new Date()): Promise<RecordedEvent> {
  const { recipient, retentionDays } = await validate(trx, input, receivedAt);
  const evidence = checkEvidence(input.evidence ?? {});
  const draft = {
    clientEventId: nfc(input.clientEventId),
    subject: nfc(input.subject),
    purpose: input.purpose,
    recipient,
    regime: input.regime,
    kind: input.kind,
    noticeId: input.noticeId ?? null,
    channel: nfc(input.channel),
    source: nfc(input.source),
    evidence,
  };

  const existing = await trx.selectFrom('consent_events').selectAll().where('client_event_id', '=', draft.clientEventId).executeTakeFirst();
  if (existing) {
    const same =
      existing.subject === draft.subject && existing.purpose === draft.purpose && existing.recipient === draft.recipient &&
      existing.regime === draft.regime && existing.kind === draft.kind && existing.collected_at.getTime() === input.collectedAt.getTime();
    if (!same) throw new ConsentError('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH', `event ${draft.clientEventId} was recorded with other content`);
    return { seq: existing.seq, duplicate: true, decision: await currentDecision(trx, draft) };
  }

  // One writer at a time per tenant chain: the head row is the lock.
  await trx.insertInto('consent_chain_heads').values({ tenant_id: trx.tenantId, seq: 0, link: GENESIS_LINK }).onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
  const head = await trx.selectFrom('consent_chain_heads').select(['seq', 'link']).forUpdate().executeTakeFirstOrThrow();
  const event: ConsentEvent = { ...draft, tenantId: trx.tenantId, seq: head.seq + 1, collectedAt: input.collectedAt, receivedAt };
  const link = chainLink(head.link, consentEventRecord(event));
  await trx
    .insertInto('consent_events')
    .values({
      tenant_id: trx.tenantId,
      seq: event.seq,
      client_event_id: event.clientEventId,
      subject: event.subject,
      purpose: event.purpose,
      recipient: event.recipient,
      regime: event.regime,
      kind: event.kind,
      notice_id: event.noticeId,
      channel: event.channel,
      source: event.source,
      evidence: JSON.stringify(event.evidence),
      collected_at: event.collectedAt,
      received_at: event.receivedAt,
      link,
    })
    .execute();
  await trx.updateTable('consent_chain_heads').set({ seq: event.seq, link }).execute();

  const current = await currentDecision(trx, draft);
  const decision = decideState(current, event, retentionDays);
  if (decision !== current) {
    const subjectKey = await subjectKeyOf(trx, event.subject);
    await trx
      .insertInto('consent_state')
      .values({
        tenant_id: trx.tenantId,
        subject: event.subject,
        subject_key: subjectKey,
        purpose: event.purpose,
        recipient: event.recipient,
        regime: event.regime,
        granted: decision.granted,
        decided_by_seq: decision.decidedBySeq,
        decided_kind: decision.decidedKind,
        decided_at: decision.decidedAt,
        expires_at: decision.expiresAt,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'subject', 'purpose', 'recipient', 'regime']).doUpdateSet({
          granted: decision.granted,
          decided_by_seq: decision.decidedBySeq,
          decided_kind: decision.decidedKind,
          decided_at: decision.decidedAt,
          expires_at: decision.expiresAt,
        }),
      )
      .execute();
  }
  return { seq: event.seq, duplicate: false, decision };
}

/** The subject's integer key, assigned on first sight. */
export async function subjectKeyOf(trx: TenantTransaction, subject: string): Promise<number> {
  await trx.insertInto('consent_subjects').values({ tenant_id: trx.tenantId, subject }).onConflict((oc) => oc.columns(['tenant_id', 'subject']).doNothing()).execute();
  const row = await trx.selectFrom('consent_subjects').select('key').where('subject', '=', subject).executeTakeFirstOrThrow();
  return row.key;
}

export async function currentDecision(
  trx: TenantTransaction,
  key: { subject: string; purpose: string; recipient: string; regime: string },
): Promise<ConsentDecision | undefined> {
  const row = await trx
    .selectFrom('consent_state')
    .select(['granted', 'decided_by_seq', 'decided_kind', 'decided_at', 'expires_at'])
    .where('subject', '=', key.subject)
    .where('purpose', '=', key.purpose)
    .where('recipient', '=', key.recipient)
    .where('regime', '=', key.regime)
    .executeTakeFirst();
  return row && {
    granted: row.granted,
    decidedBySeq: row.decided_by_seq,
    decidedKind: row.decided_kind as EventKind,
    decidedAt: row.decided_at,
    expiresAt: row.expires_at,
  };
}

