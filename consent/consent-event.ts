/**
 * A consent event as the ledger records it, and the one canonical byte form it is chained by.
 * Events never change; state is derived from them (decide-state.ts).
 */
import { canonicalJsonBytes } from '../crypto/canonical-json.ts';

export const regimes = ['pipl', 'gdpr', 'ccpa'] as const;
export type Regime = (typeof regimes)[number];

export const eventKinds = ['given', 'refused', 'withdrawn', 'expired', 'invalidated', 'guardian_given'] as const;
export type EventKind = (typeof eventKinds)[number];

/** Kinds that allow processing; every other kind denies it. */
export const grantingKinds: ReadonlySet<EventKind> = new Set(['given', 'guardian_given']);

export interface ConsentEvent {
  readonly tenantId: string;
  readonly seq: number;
  /** The collection point's own id for the event: a resubmission with the same id is the same event. */
  readonly clientEventId: string;
  /** An opaque subject reference (a person key or a salted identifier hash), never a raw identifier. */
  readonly subject: string;
  readonly purpose: string;
  /** The named recipient the consent covers (PIPL Art. 23), or '' when the purpose names none. */
  readonly recipient: string;
  readonly regime: Regime;
  readonly kind: EventKind;
  readonly noticeId: string | null;
  readonly channel: string;
  readonly source: string;
  /** Hashes and ids only (hashed IP, user agent, form id, attachment hash, guardian reference). */
  readonly evidence: Record<string, string>;
  readonly collectedAt: Date;
  readonly receivedAt: Date;
}

/** RFC 8785 bytes of the event, versioned so the form can evolve without breaking old chains. */
export function consentEventRecord(event: ConsentEvent): Uint8Array {
  return canonicalJsonBytes({
    v: 1,
    tenantId: event.tenantId,
    seq: event.seq,
    clientEventId: event.clientEventId,
    subject: event.subject,
    purpose: event.purpose,
    recipient: event.recipient,
    regime: event.regime,
    kind: event.kind,
    noticeId: event.noticeId,
    channel: event.channel,
    source: event.source,
    evidence: event.evidence,
    collectedAt: event.collectedAt.getTime(),
    receivedAt: event.receivedAt.getTime(),
  });
}
