/**
 * Records consent events: validates each against its purpose and the notice shown, appends them to
 * the tenant's hash chain, and updates the consent_state projection, all in the caller's transaction.
 * Resubmitting the same client event id returns the stored event instead of appending a copy.
 */

import { checkClientTime } from '../../consent/collection-time.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { consentEventRecord, grantingKinds, type ConsentEvent, type EventKind, type Regime } from '../../consent/consent-event.ts';
import { decideState, type ConsentDecision } from '../../consent/decide-state.ts';
import { chainLink, GENESIS_LINK } from '../../crypto/hash-chain.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { Purpose } from '../../consent/purpose.ts';
import { assertNotSuppressed } from '../privacy/suppression.ts';
import { consentChangePayload } from './consent-change.ts';
import { cascadedWithdrawals } from './denial-cascade.ts';
import { findNotice, laterVersionsOf, supersedingAt, type Notice } from './notices.ts';
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
  /** The state of the event's (subject, purpose, recipient, regime) once the call is done. */
  decision: ConsentDecision | undefined;
}

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

/** Purposes and notices looked up once per batch, however many events cite them. */
class CatalogueLookups {
  private readonly purposes = new Map<string, Promise<Purpose | undefined>>();
  private readonly notices = new Map<string, Promise<Notice | undefined>>();
  private readonly laterVersions = new Map<string, Promise<Notice[]>>();
  constructor(private readonly trx: TenantTransaction) {}

  purpose(key: string): Promise<Purpose | undefined> {
    let found = this.purposes.get(key);
    if (!found) this.purposes.set(key, (found = findPurpose(this.trx, key)));
    return found;
  }

  notice(id: string): Promise<Notice | undefined> {
    let found = this.notices.get(id);
    if (!found) this.notices.set(id, (found = findNotice(this.trx, id)));
    return found;
  }

  later(notice: Notice): Promise<Notice[]> {
    let found = this.laterVersions.get(notice.id);
    if (!found) this.laterVersions.set(notice.id, (found = laterVersionsOf(this.trx, notice)));
    return found;
  }
}

/** What recording an event checks besides its subject (suppression) and its id (duplicates). */
type CheckedFields = Omit<ConsentEventInput, 'subject' | 'clientEventId'>;

async function validate(catalogue: CatalogueLookups, input: CheckedFields, receivedAt: Date): Promise<{ recipient: string; retentionDays: number | null }> {
  const purpose = await catalogue.purpose(input.purpose);
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
  checkClientTime('collectedAt', input.collectedAt, receivedAt);
  const granting = grantingKinds.has(input.kind);
  if (input.subjectIsMinor && input.kind === 'given') {
    throw new ConsentError('ACCORD_ERR_CONSENT_MINOR', "a minor's own grant does not count; record the guardian's (guardian_given)");
  }
  if (input.kind === 'guardian_given' && !input.evidence?.guardianReference) {
    throw new ConsentError('ACCORD_ERR_CONSENT_MINOR', 'guardian_given needs evidence.guardianReference');
  }
  if (granting || input.noticeId !== undefined) {
    if (!input.noticeId || !UUID.test(input.noticeId)) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', 'a grant cites the notice version shown (noticeId)');
    const notice = await catalogue.notice(input.noticeId);
    if (!notice) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', `unknown notice ${input.noticeId}`);
    if (granting && notice.disabledAt) throw new ConsentError('ACCORD_ERR_CONSENT_NOTICE_DISABLED', `notice ${notice.noticeKey} v${notice.version} is disabled`);
    const superseding = granting ? supersedingAt(notice, await catalogue.later(notice), input.collectedAt) : undefined;
    if (superseding) {
      throw new ConsentError('ACCORD_ERR_CONSENT_NOTICE_SUPERSEDED', `notice ${notice.noticeKey} v${notice.version} was superseded by v${superseding.version}, which discloses more; collect consent under the new version`);
    }
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

/**
 * What recording each event would refuse, recording nothing: for a writer that must leave out a
 * row whose consent is bad before it writes anything else of the row (ingest's registration
 * consents, whose subject is known only once the row's person is resolved).
 */
export async function checkConsentEvents(trx: TenantTransaction, inputs: readonly CheckedFields[], receivedAt = new Date()): Promise<Array<ConsentError | undefined>> {
  const catalogue = new CatalogueLookups(trx);
  const refusals: Array<ConsentError | undefined> = [];
  for (const input of inputs) {
    try {
      await validate(catalogue, input, receivedAt);
      checkEvidence(input.evidence ?? {});
      refusals.push(undefined);
    } catch (error) {
      if (!(error instanceof ConsentError)) throw error;
      refusals.push(error);
    }
  }
  return refusals;
}

export async function recordConsentEvent(trx: TenantTransaction, input: ConsentEventInput, receivedAt = new Date()): Promise<RecordedEvent> {
  const [recorded] = await recordConsentEvents(trx, [input], receivedAt);
  return recorded!;
}

/** Largest batch one call appends: bounds the statement size (16 bind parameters per event). */
export const MAX_EVENTS_PER_BATCH = 2_000;
const INSERT_PAGE = 500;

type Draft = Omit<ConsentEvent, 'tenantId' | 'seq' | 'receivedAt'>;
const stateKeyOf = (e: { subject: string; purpose: string; recipient: string; regime: string }) => `${e.subject}\0${e.purpose}\0${e.recipient}\0${e.regime}`;
const sameContent = (stored: Draft, draft: Draft) =>
  stored.subject === draft.subject && stored.purpose === draft.purpose && stored.recipient === draft.recipient &&
  stored.regime === draft.regime && stored.kind === draft.kind && stored.collectedAt.getTime() === draft.collectedAt.getTime();

/**
 * Appends a batch of events under one lock of the tenant's chain head, in a fixed number of
 * statements whatever the batch size. All or nothing: one invalid event rejects the batch.
 * Results are in input order; an event whose client id is already recorded (or repeated earlier in
 * the batch) comes back as a duplicate with the stored sequence number.
 */
export async function recordConsentEvents(trx: TenantTransaction, inputs: readonly ConsentEventInput[], receivedAt = new Date()): Promise<RecordedEvent[]> {
  if (inputs.length > MAX_EVENTS_PER_BATCH) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `at most ${MAX_EVENTS_PER_BATCH} events per batch`);
  if (inputs.length === 0) return [];
  const catalogue = new CatalogueLookups(trx);
  const drafts: Array<Draft & { retentionDays: number | null }> = [];
  for (const input of inputs) {
    const { recipient, retentionDays } = await validate(catalogue, input, receivedAt);
    drafts.push({
      clientEventId: nfc(input.clientEventId),
      subject: nfc(input.subject),
      purpose: input.purpose,
      recipient,
      regime: input.regime,
      kind: input.kind,
      noticeId: input.noticeId ?? null,
      channel: nfc(input.channel),
      source: nfc(input.source),
      evidence: checkEvidence(input.evidence ?? {}),
      collectedAt: input.collectedAt,
      retentionDays,
    });
  }

  // An erased person stays erased: no grant brings them back (withdrawals are still recorded).
  await assertNotSuppressed(trx, [...new Set(drafts.filter((draft) => grantingKinds.has(draft.kind)).map((draft) => draft.subject))]);

  // Already recorded, in an earlier call or earlier in this batch: same content is a duplicate.
  const stored = await storedEvents(trx, drafts);
  const cascade = await cascadedWithdrawals(trx, drafts.filter((draft) => !stored.has(draft.clientEventId)));
  if (cascade.length > 0) {
    for (const [id, event] of await storedEvents(trx, cascade)) stored.set(id, event);
    drafts.push(...cascade.map((derived) => ({ ...derived, noticeId: null, retentionDays: null })));
  }

  // One writer at a time per tenant chain: the no-op upsert locks the head row and returns it.
  const head = await trx
    .insertInto('consent_chain_heads')
    .values({ tenant_id: trx.tenantId, seq: 0, link: GENESIS_LINK })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet((eb) => ({ seq: eb.ref('consent_chain_heads.seq') })))
    .returning(['seq', 'link'])
    .executeTakeFirstOrThrow();

  const results: Array<RecordedEvent & { stateKey: string }> = [];
  const appended: Array<ConsentEvent & { link: Uint8Array; retentionDays: number | null }> = [];
  let { seq, link } = head;
  for (const draft of drafts) {
    const previous = stored.get(draft.clientEventId);
    if (previous) {
      if (!sameContent(previous.draft, draft)) throw new ConsentError('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH', `event ${draft.clientEventId} was recorded with other content`);
      results.push({ seq: previous.seq, duplicate: true, decision: undefined, stateKey: stateKeyOf(draft) });
      continue;
    }
    const { retentionDays, ...fields } = draft;
    const event: ConsentEvent = { ...fields, tenantId: trx.tenantId, seq: seq + 1, receivedAt };
    seq = event.seq;
    link = chainLink(link, consentEventRecord(event));
    appended.push({ ...event, link, retentionDays });
    stored.set(draft.clientEventId, { seq, draft });
    results.push({ seq, duplicate: false, decision: undefined, stateKey: stateKeyOf(draft) });
  }

  const decisions = await currentDecisions(trx, drafts);
  if (appended.length > 0) {
    for (let i = 0; i < appended.length; i += INSERT_PAGE) {
      await trx.insertInto('consent_events').values(appended.slice(i, i + INSERT_PAGE).map((event) => ({
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
        link: event.link,
      }))).execute();
    }
    await trx.updateTable('consent_chain_heads').set({ seq, link }).execute();
    await applyToState(trx, appended, decisions);
    await trx.publish('accord_consent', consentChangePayload(trx.tenantId, [...new Set(appended.map((event) => event.subject))]));
  }
  return results.slice(0, inputs.length).map(({ stateKey, ...result }) => ({ ...result, decision: decisions.get(stateKey) }));
}

async function storedEvents(trx: TenantTransaction, drafts: ReadonlyArray<{ clientEventId: string }>): Promise<Map<string, { seq: number; draft: Draft }>> {
  const rows = await trx
    .selectFrom('consent_events')
    .select(['seq', 'client_event_id', 'subject', 'purpose', 'recipient', 'regime', 'kind', 'collected_at'])
    .where('client_event_id', 'in', [...new Set(drafts.map((d) => d.clientEventId))])
    .execute();
  return new Map(rows.map((row) => [row.client_event_id, {
    seq: row.seq,
    draft: { ...row, clientEventId: row.client_event_id, regime: row.regime as Regime, kind: row.kind as EventKind, collectedAt: row.collected_at, noticeId: null, channel: '', source: '', evidence: {} },
  }]));
}

/** Folds the appended events into consent_state; `decisions` holds the current rows and is updated. */
async function applyToState(
  trx: TenantTransaction,
  events: ReadonlyArray<ConsentEvent & { retentionDays: number | null }>,
  decisions: Map<string, ConsentDecision>,
): Promise<void> {
  const changed = new Map<string, ConsentEvent>();
  for (const event of events) {
    const key = stateKeyOf(event);
    const current = decisions.get(key);
    const decision = decideState(current, event, event.retentionDays);
    if (decision !== current) {
      decisions.set(key, decision);
      changed.set(key, event);
    }
  }
  if (changed.size === 0) return;
  const keys = await subjectKeysOf(trx, [...new Set([...changed.values()].map((e) => e.subject))]);
  const rows = [...changed].map(([key, event]) => {
    const decision = decisions.get(key)!;
    return {
      tenant_id: trx.tenantId,
      subject: event.subject,
      subject_key: keys.get(event.subject)!,
      purpose: event.purpose,
      recipient: event.recipient,
      regime: event.regime,
      granted: decision.granted,
      decided_by_seq: decision.decidedBySeq,
      decided_kind: decision.decidedKind,
      decided_at: decision.decidedAt,
      expires_at: decision.expiresAt,
    };
  });
  for (let i = 0; i < rows.length; i += INSERT_PAGE) {
    await trx
      .insertInto('consent_state')
      .values(rows.slice(i, i + INSERT_PAGE))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'subject', 'purpose', 'recipient', 'regime']).doUpdateSet((eb) => ({
          granted: eb.ref('excluded.granted'),
          decided_by_seq: eb.ref('excluded.decided_by_seq'),
          decided_kind: eb.ref('excluded.decided_kind'),
          decided_at: eb.ref('excluded.decided_at'),
          expires_at: eb.ref('excluded.expires_at'),
        })),
      )
      .execute();
  }
}

/** The subject's integer key, assigned on first sight. */
export async function subjectKeyOf(trx: TenantTransaction, subject: string): Promise<number> {
  return (await subjectKeysOf(trx, [subject])).get(subject)!;
}

/** Integer keys of many subjects in one statement (the no-op update makes existing rows return theirs). */
export async function subjectKeysOf(trx: TenantTransaction, subjects: readonly string[]): Promise<Map<string, number>> {
  const rows = await trx
    .insertInto('consent_subjects')
    .values(subjects.map((subject) => ({ tenant_id: trx.tenantId, subject })))
    .onConflict((oc) => oc.columns(['tenant_id', 'subject']).doUpdateSet((eb) => ({ subject: eb.ref('excluded.subject') })))
    .returning(['subject', 'key'])
    .execute();
  return new Map(rows.map((row) => [row.subject, row.key]));
}

/** Current decisions for every (subject, purpose, recipient, regime) the events touch, in one query. */
async function currentDecisions(trx: TenantTransaction, events: ReadonlyArray<{ subject: string; purpose: string; recipient: string; regime: string }>): Promise<Map<string, ConsentDecision>> {
  const wanted = new Set(events.map(stateKeyOf));
  const rows = await trx
    .selectFrom('consent_state')
    .select(['subject', 'purpose', 'recipient', 'regime', 'granted', 'decided_by_seq', 'decided_kind', 'decided_at', 'expires_at'])
    .where('subject', 'in', [...new Set(events.map((e) => e.subject))])
    .where('purpose', 'in', [...new Set(events.map((e) => e.purpose))])
    .execute();
  const decisions = new Map<string, ConsentDecision>();
  for (const row of rows) {
    const key = stateKeyOf(row);
    if (wanted.has(key)) decisions.set(key, toDecision(row));
  }
  return decisions;
}

const toDecision = (row: { granted: boolean; decided_by_seq: number; decided_kind: string; decided_at: Date; expires_at: Date | null }): ConsentDecision => ({
  granted: row.granted,
  decidedBySeq: row.decided_by_seq,
  decidedKind: row.decided_kind as EventKind,
  decidedAt: row.decided_at,
  expiresAt: row.expires_at,
});

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
  return row && toDecision(row);
}

