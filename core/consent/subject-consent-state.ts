/** A subject's current decisions, one per (purpose, recipient, regime), in a stable order. */
import type { ConsentDecision } from '../../consent/decide-state.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface CurrentDecision extends ConsentDecision {
  readonly purpose: string;
  readonly recipient: string;
  readonly regime: string;
}

export async function subjectConsentState(trx: TenantTransaction, subject: string): Promise<CurrentDecision[]> {
  const rows = await trx
    .selectFrom('consent_state')
    .select(['purpose', 'recipient', 'regime', 'granted', 'decided_by_seq', 'decided_kind', 'decided_at', 'expires_at'])
    .where('subject', '=', subject)
    .orderBy('purpose')
    .orderBy('recipient')
    .orderBy('regime')
    .execute();
  return rows.map((row) => ({
    purpose: row.purpose,
    recipient: row.recipient,
    regime: row.regime,
    granted: row.granted,
    decidedBySeq: row.decided_by_seq,
    decidedKind: row.decided_kind as ConsentDecision['decidedKind'],
    decidedAt: row.decided_at,
    expiresAt: row.expires_at,
  }));
}
