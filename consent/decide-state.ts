/**
 * How one event changes a subject's consent for (purpose, recipient, regime). Pure, so the live
 * projection and a rebuild from the log agree by construction.
 * Rules: the event collected last decides (an older grant that arrives late never revives a newer
 * withdrawal); on equal collection times the denial wins; a guardian's grant never overrides the
 * subject's own refusal or withdrawal; a grant lapses after the purpose's retention period.
 */
import { grantingKinds, type EventKind } from './consent-event.ts';

export interface ConsentDecision {
  readonly granted: boolean;
  readonly decidedBySeq: number;
  readonly decidedKind: EventKind;
  readonly decidedAt: Date;
  readonly expiresAt: Date | null;
}

export interface DecidingEvent {
  readonly seq: number;
  readonly kind: EventKind;
  readonly collectedAt: Date;
}

const SUBJECT_DENIALS: ReadonlySet<EventKind> = new Set(['refused', 'withdrawn']);
const DAY_MS = 86_400_000;

/** The new decision, or `current` unchanged when the event does not decide. */
export function decideState(current: ConsentDecision | undefined, event: DecidingEvent, retentionDays: number | null): ConsentDecision {
  const granted = grantingKinds.has(event.kind);
  if (current) {
    const newer = event.collectedAt.getTime() - current.decidedAt.getTime();
    if (newer < 0) return current;
    if (newer === 0 && granted && !current.granted) return current;
    if (event.kind === 'guardian_given' && !current.granted && SUBJECT_DENIALS.has(current.decidedKind)) return current;
  }
  return {
    granted,
    decidedBySeq: event.seq,
    decidedKind: event.kind,
    decidedAt: event.collectedAt,
    expiresAt: granted && retentionDays !== null ? new Date(event.collectedAt.getTime() + retentionDays * DAY_MS) : null,
  };
}

/** How a regime treats silence for a purpose: opt-in needs a grant; opt-out allows until a denial. */
export type LegalBasis = 'consent' | 'opt_out';

/** Whether a decision allows processing at `at`. Under `consent`, no decision is no consent. */
export function allowsAt(decision: Pick<ConsentDecision, 'granted' | 'expiresAt'> | undefined, at: Date, basis: LegalBasis): boolean {
  if (decision === undefined) return basis === 'opt_out';
  return decision.granted && (decision.expiresAt === null || decision.expiresAt.getTime() > at.getTime());
}
