/**
 * `accord consent verify`: recomputes the tenant's chain from the stored columns of every event and
 * names the first record that does not match: an edited column, a removed, inserted or reordered
 * row, or a head that does not point at the last event.
 */
import type { EventKind, Regime } from '../../consent/consent-event.ts';
import { consentEventRecord } from '../../consent/consent-event.ts';
import { chainLink, GENESIS_LINK } from '../../crypto/hash-chain.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface LogVerification {
  readonly ok: boolean;
  readonly eventsChecked: number;
  /** The first sequence number that fails, with why. */
  readonly firstBad?: { seq: number; problem: string };
}

const PAGE = 5_000;

export async function verifyConsentLog(trx: TenantTransaction): Promise<LogVerification> {
  let previous = GENESIS_LINK;
  let expectedSeq = 1;
  for (;;) {
    const page = await trx.selectFrom('consent_events').selectAll().where('seq', '>=', expectedSeq).orderBy('seq').limit(PAGE).execute();
    for (const row of page) {
      const fail = (problem: string): LogVerification => ({ ok: false, eventsChecked: expectedSeq - 1, firstBad: { seq: expectedSeq, problem } });
      if (row.seq !== expectedSeq) return fail(`event ${expectedSeq} is missing (next stored is ${row.seq})`);
      const record = consentEventRecord({
        tenantId: row.tenant_id,
        seq: row.seq,
        clientEventId: row.client_event_id,
        subject: row.subject,
        purpose: row.purpose,
        recipient: row.recipient,
        regime: row.regime as Regime,
        kind: row.kind as EventKind,
        noticeId: row.notice_id,
        channel: row.channel,
        source: row.source,
        evidence: row.evidence as Record<string, string>,
        collectedAt: row.collected_at,
        receivedAt: row.received_at,
      });
      const link = chainLink(previous, record);
      if (Buffer.compare(Buffer.from(link), Buffer.from(row.link)) !== 0) return fail('its content or its place in the chain was altered');
      previous = link;
      expectedSeq += 1;
    }
    if (page.length < PAGE) break;
  }
  const checked = expectedSeq - 1;
  const head = await trx.selectFrom('consent_chain_heads').select(['seq', 'link']).executeTakeFirst();
  const headSeq = head?.seq ?? 0;
  if (headSeq !== checked || Buffer.compare(Buffer.from(head?.link ?? GENESIS_LINK), Buffer.from(previous)) !== 0) {
    return { ok: false, eventsChecked: checked, firstBad: { seq: Math.min(headSeq, checked) + 1, problem: `the chain head says ${headSeq} events, the log holds ${checked}` } };
  }
  return { ok: true, eventsChecked: checked };
}
