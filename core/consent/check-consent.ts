/**
 * The point gate: may this subject's data be processed for this purpose (and recipient, under this
 * regime) at this instant? Fails closed: an unknown purpose, or a regime the purpose is not
 * processed under, is a denial, never an error that callers might treat as "go ahead".
 */
import { allowsAt, type ConsentDecision } from '../../consent/decide-state.ts';
import type { Purpose } from '../../consent/purpose.ts';
import type { Regime } from '../../consent/consent-event.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { findPurpose } from './purposes.ts';
import { currentDecision } from './record-consent-event.ts';

export type GateReason = 'granted' | 'opt_out_default' | 'no_consent' | 'denied' | 'expired' | 'unknown_purpose' | 'regime_not_allowed';

export interface GateAnswer {
  readonly allowed: boolean;
  readonly reason: GateReason;
  /** The event the answer rests on, when there is one. */
  readonly decidedBySeq: number | null;
}

export interface PointQuery {
  subject: string;
  purpose: string;
  recipient?: string | undefined;
  regime: Regime;
  at: Date;
}

export async function checkConsent(trx: TenantTransaction, query: PointQuery): Promise<GateAnswer> {
  const purpose = await findPurpose(trx, query.purpose);
  const decision = purpose && (await currentDecision(trx, { subject: query.subject.normalize('NFC'), purpose: purpose.key, recipient: (query.recipient ?? '').normalize('NFC'), regime: query.regime }));
  return answerFrom(purpose, decision, query.regime, query.at);
}

/** The gate's answer from the purpose and the subject's current decision (undefined when none). */
export function answerFrom(purpose: Purpose | undefined, decision: ConsentDecision | undefined, regime: Regime, at: Date): GateAnswer {
  if (!purpose) return { allowed: false, reason: 'unknown_purpose', decidedBySeq: null };
  const basis = purpose.legalBasis[regime];
  if (!basis) return { allowed: false, reason: 'regime_not_allowed', decidedBySeq: null };
  const allowed = allowsAt(decision, at, basis);
  const reason: GateReason = !decision
    ? allowed ? 'opt_out_default' : 'no_consent'
    : allowed ? 'granted' : decision.granted ? 'expired' : 'denied';
  return { allowed, reason, decidedBySeq: decision?.decidedBySeq ?? null };
}
