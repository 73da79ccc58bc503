/**
 * Turns signals from the wild into ledger events, in the caller's transaction: every string is
 * decoded and validated before anything is written (a bad one records nothing), each accepted signal
 * is stored raw + decoded + verdict, and the mapped decisions go through recordConsentEvent.
 * Idempotent: a signal is identified by a fingerprint of (subject, regime, kind, raw string,
 * collection time), and its events' client ids derive from that fingerprint, so a resubmission
 * returns what was recorded the first time.
 */
import { createHash } from 'node:crypto';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { EventKind, Regime } from '../../consent/consent-event.ts';
import { decodeGppString, type GppSignal, type UsOptOutField } from '../../consent/signals/gpp-string.ts';
import { gpcOptOuts } from '../../consent/signals/gpc-signal.ts';
import { optOutDecisions, tcfDecisions, type SignalDecision, type SignalKind, type SignalMappingEntry } from '../../consent/signals/signal-mapping.ts';
import { decodeTcString, type TcSignal } from '../../consent/signals/tcf-string.ts';
import { canonicalJsonBytes } from '../../crypto/canonical-json.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { findPurpose } from './purposes.ts';
import { currentDecision, recordConsentEvent } from './record-consent-event.ts';
import { currentSignalMapping } from './signal-mappings.ts';

export interface ConsentSignalInput {
  subject: string;
  regime: Regime;
  /** When the collection point saw the signal; TC dates are day-level, so the ledger keeps its own time. */
  collectedAt: Date;
  /** The collection point (site, app), recorded as the events' source. */
  source: string;
  /** The notice version shown; needed when a TC string grants something. */
  noticeId?: string | undefined;
  tcString?: string | undefined;
  gppString?: string | undefined;
  /** A GPC signal and where it came from (the Sec-GPC header or a body field). */
  gpc?: { via: 'header' | 'field' } | undefined;
}

export interface RecordedSignalEvent {
  seq: number;
  purpose: string;
  recipient: string;
  kind: string;
}

export interface RecordedSignal {
  id: string;
  kind: SignalKind;
  duplicate: boolean;
  verdict: SignalVerdict;
  events: RecordedSignalEvent[];
}

export interface SignalVerdict {
  valid: true;
  standard: string;
  notes: string[];
}

interface DecodedSignal {
  kind: SignalKind;
  raw: string;
  decoded: TcSignal | GppSignal | { gpc: true; via: string };
  standard: string;
  notes: string[];
  decide(mapping: readonly SignalMappingEntry[]): SignalDecision[];
}

const MAX_EVIDENCE_VALUE = 512;

/** Decodes everything first: a malformed or non-compliant string throws before any write. */
function decodeAll(input: ConsentSignalInput): DecodedSignal[] {
  const signals: DecodedSignal[] = [];
  if (input.tcString !== undefined) {
    const tc = decodeTcString(input.tcString);
    signals.push({
      kind: 'tcf',
      raw: input.tcString,
      decoded: tc,
      standard: `TCF ${tc.tcfVersion}`,
      notes: tc.undisclosedVendorConsents.length > 0 ? [`vendors ${tc.undisclosedVendorConsents.join(', ')} were not disclosed and count as not consented`] : [],
      decide: (mapping) => tcfDecisions(mapping, tc),
    });
  }
  if (input.gppString !== undefined) {
    const gpp = decodeGppString(input.gppString);
    const optedOut = new Set<UsOptOutField>(Object.entries(gpp.optOuts).filter(([, out]) => out).map(([field]) => field as UsOptOutField));
    if (gpp.gpc) gpcOptOuts.forEach((field) => optedOut.add(field));
    signals.push({
      kind: 'gpp',
      raw: input.gppString,
      decoded: gpp,
      standard: 'GPP v1',
      notes: gpp.gpc ? ['the GPC sub-segment is set: sale and sharing count as opted out'] : [],
      decide: (mapping) => optOutDecisions(mapping, optedOut, 'gpp'),
    });
  }
  if (input.gpc) {
    signals.push({
      kind: 'gpc',
      raw: '1',
      decoded: { gpc: true, via: input.gpc.via },
      standard: 'GPC',
      notes: [`received as ${input.gpc.via === 'header' ? 'the Sec-GPC: 1 header' : 'a gpc field'}`],
      decide: (mapping) => optOutDecisions(mapping, new Set(gpcOptOuts), 'gpc'),
    });
  }
  if (signals.length === 0) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', 'send a TC string, a GPP string or a GPC signal');
  return signals;
}

export async function recordConsentSignals(
  trx: TenantTransaction,
  input: ConsentSignalInput,
  receivedAt = new Date(),
): Promise<{ mappingVersion: number; signals: RecordedSignal[] }> {
  const signals = decodeAll(input);
  const subject = input.subject.normalize('NFC');
  const mapping = await currentSignalMapping(trx);
  if (mapping.version === 0) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', 'no signal mapping is published; a privacy officer publishes one first');
  const { entries, skipped } = await entriesUnder(trx, mapping.entries, input.regime);

  const recorded: RecordedSignal[] = [];
  for (const signal of signals) {
    const fingerprint = createHash('sha256')
      .update(canonicalJsonBytes({ subject, regime: input.regime, kind: signal.kind, raw: signal.raw, collectedAt: input.collectedAt.getTime() }))
      .digest();
    const idPrefix = `signal:${fingerprint.toString('hex')}:`;
    const verdict: SignalVerdict = { valid: true, standard: signal.standard, notes: [...signal.notes, ...skipped] };
    // The unique fingerprint makes a concurrent twin wait here and then take the duplicate path.
    const inserted = await trx
      .insertInto('consent_signals')
      .values({
        tenant_id: trx.tenantId,
        fingerprint,
        subject,
        regime: input.regime,
        kind: signal.kind,
        raw: signal.raw,
        decoded: JSON.stringify(signal.decoded),
        verdict: JSON.stringify(verdict),
        mapping_version: mapping.version,
        source: input.source,
        collected_at: input.collectedAt,
        received_at: receivedAt,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'fingerprint']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      recorded.push(await storedSignal(trx, fingerprint, subject, idPrefix));
      continue;
    }

    const events: RecordedSignalEvent[] = [];
    for (const decision of signal.decide(entries)) {
      const kind = await eventKindOf(trx, decision, subject, input.regime);
      const event = await recordConsentEvent(
        trx,
        {
          clientEventId: `${idPrefix}${decision.purpose}:${decision.recipient}`,
          subject,
          purpose: decision.purpose,
          recipient: decision.recipient || undefined,
          regime: input.regime,
          kind,
          noticeId: decision.grants ? input.noticeId : undefined,
          channel: signal.kind,
          source: input.source,
          evidence: {
            signalId: inserted.id,
            signalStandard: signal.standard,
            mappingVersion: String(mapping.version),
            basis: decision.basis.slice(0, MAX_EVIDENCE_VALUE),
          },
          collectedAt: input.collectedAt,
        },
        receivedAt,
      );
      events.push({ seq: event.seq, purpose: decision.purpose, recipient: decision.recipient, kind });
    }
    recorded.push({ id: inserted.id, kind: signal.kind, duplicate: false, verdict, events });
  }
  return { mappingVersion: mapping.version, signals: recorded };
}

/** A denial of something granted is a withdrawal; otherwise a refusal. */
async function eventKindOf(trx: TenantTransaction, decision: SignalDecision, subject: string, regime: Regime): Promise<EventKind> {
  if (decision.grants) return 'given';
  const current = await currentDecision(trx, { subject, purpose: decision.purpose, recipient: decision.recipient, regime });
  return current?.granted ? 'withdrawn' : 'refused';
}

/** Mapping entries whose purpose is processed under the regime; the others are named in the verdict. */
async function entriesUnder(trx: TenantTransaction, entries: readonly SignalMappingEntry[], regime: Regime) {
  const kept: SignalMappingEntry[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const purpose = await findPurpose(trx, entry.purpose);
    if (purpose?.legalBasis[regime]) kept.push(entry);
    else skipped.push(`purpose ${entry.purpose} is not processed under ${regime}; not recorded`);
  }
  return { entries: kept, skipped };
}

async function storedSignal(trx: TenantTransaction, fingerprint: Buffer, subject: string, idPrefix: string): Promise<RecordedSignal> {
  const row = await trx.selectFrom('consent_signals').select(['id', 'kind', 'verdict']).where('fingerprint', '=', fingerprint).executeTakeFirstOrThrow();
  // The subject condition lets the (tenant, subject, seq) index narrow the prefix match.
  const events = await trx
    .selectFrom('consent_events')
    .select(['seq', 'purpose', 'recipient', 'kind'])
    .where('subject', '=', subject)
    .where('client_event_id', 'like', `${idPrefix}%`)
    .orderBy('seq')
    .execute();
  return { id: row.id, kind: row.kind as SignalKind, duplicate: true, verdict: row.verdict as SignalVerdict, events };
}
