/**
 * When identity resolution finds that two subject references are one person, the survivor's
 * consent becomes the most restrictive of the two, per (purpose, recipient, regime): a denial on
 * either side is recorded on the survivor, and a grant is never carried over (the survivor did not
 * give it). So merging a device that opted in with an email that withdrew can never turn the
 * withdrawal into consent. The merge is written to the ledger as ordinary events citing it.
 */
import type { Regime } from '../../consent/consent-event.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { recordConsentEvents, type ConsentEventInput } from './record-consent-event.ts';

export interface SubjectMerge {
  /** The caller's id for this merge, so a retried merge appends nothing twice. */
  mergeId: string;
  survivor: string;
  absorbed: string;
  at: Date;
}

export interface MergeOutcome {
  /** States of the survivor that became denials because the absorbed subject had denied them. */
  restricted: number;
}

export async function mergeConsentSubjects(trx: TenantTransaction, merge: SubjectMerge): Promise<MergeOutcome> {
  const survivor = merge.survivor.normalize('NFC');
  const absorbed = merge.absorbed.normalize('NFC');
  if (survivor === absorbed) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', 'a subject cannot be merged into itself');
  const rows = await trx
    .selectFrom('consent_state')
    .select(['subject', 'purpose', 'recipient', 'regime', 'granted', 'decided_at'])
    .where('subject', 'in', [survivor, absorbed])
    .execute();
  const key = (row: { purpose: string; recipient: string; regime: string }) => `${row.purpose}\0${row.recipient}\0${row.regime}`;
  const survivorStates = new Map(rows.filter((row) => row.subject === survivor).map((row) => [key(row), row]));
  const events: ConsentEventInput[] = rows
    .filter((row) => row.subject === absorbed && !row.granted && survivorStates.get(key(row))?.granted !== false)
    .map((denied) => ({
      clientEventId: `merge/${merge.mergeId}/${denied.purpose}/${denied.recipient}/${denied.regime}`,
      subject: survivor,
      purpose: denied.purpose,
      ...(denied.recipient ? { recipient: denied.recipient } : {}),
      regime: denied.regime as Regime,
      kind: survivorStates.get(key(denied))?.granted ? 'withdrawn' : 'refused',
      channel: 'identity_merge',
      source: `merge:${merge.mergeId}`,
      evidence: { mergeId: merge.mergeId, absorbedSubject: absorbed },
      // Never older than the survivor's own decision, which it must override (equal times: denial wins).
      collectedAt: new Date(Math.max(merge.at.getTime(), survivorStates.get(key(denied))?.decided_at.getTime() ?? 0)),
    }));
  await recordConsentEvents(trx, events);
  return { restricted: events.length };
}
