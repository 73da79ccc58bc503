/**
 * The job behind a material notice change: every grant still in force that rests on an event citing
 * an earlier version of the notice (same key and language) gets an `invalidated` event, dated when
 * the new version was published. A grant collected later, under the new text, counts again.
 * Event ids are derived from the notice and the state, so a re-run appends nothing twice.
 */
import { UnrecoverableJobError, type JobContext } from '../jobs/job-runner.ts';
import { findNotice } from './notices.ts';
import { recordConsentEvents, type ConsentEventInput } from './record-consent-event.ts';
import type { Regime } from '../../consent/consent-event.ts';

const PAGE = 1_000;

export async function invalidateSupersededConsents(job: JobContext): Promise<void> {
  const { noticeId } = job.payload as { noticeId?: unknown };
  if (typeof noticeId !== 'string') throw new UnrecoverableJobError('payload needs noticeId');
  for (;;) {
    const appended = await job.inTenant(async (trx) => {
      const notice = await findNotice(trx, noticeId);
      if (!notice) throw new UnrecoverableJobError(`notice ${noticeId} not found`);
      const stale = await trx
        .selectFrom('consent_state as s')
        .innerJoin('consent_events as e', (join) => join.onRef('e.tenant_id', '=', 's.tenant_id').onRef('e.seq', '=', 's.decided_by_seq'))
        .innerJoin('consent_notices as n', 'n.id', 'e.notice_id')
        .select(['s.subject', 's.purpose', 's.recipient', 's.regime'])
        .where('s.granted', '=', true)
        .where('s.decided_at', '<=', notice.createdAt)
        .where('n.notice_key', '=', notice.noticeKey)
        .where('n.language', '=', notice.language)
        .where('n.version', '<', notice.version)
        .limit(PAGE)
        .execute();
      if (stale.length === 0) return 0;
      const events = stale.map((state): ConsentEventInput => ({
        clientEventId: `notice-change/${notice.id}/${state.subject}/${state.purpose}/${state.recipient}/${state.regime}`,
        subject: state.subject,
        purpose: state.purpose,
        ...(state.recipient ? { recipient: state.recipient } : {}),
        regime: state.regime as Regime,
        kind: 'invalidated',
        channel: 'notice_change',
        source: `notice:${notice.noticeKey}:v${notice.version}:${notice.language}`,
        evidence: { noticeId: notice.id },
        collectedAt: notice.createdAt,
      }));
      const results = await recordConsentEvents(trx, events);
      // All already recorded means the state no longer moves: stop rather than loop.
      return results.every((result) => result.duplicate) ? 0 : events.length;
    });
    if (appended < PAGE) return;
  }
}
