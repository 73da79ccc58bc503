/** Reads the tenant's consent log in sequence order, in pages, as events with their stored links. */
import type { Selectable } from 'kysely';
import type { ConsentEvent, EventKind, Regime } from '../../consent/consent-event.ts';
import type { ConsentEventTable } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

const PAGE = 5_000;

export interface StoredEvent {
  readonly event: ConsentEvent;
  readonly link: Uint8Array;
}

/** Events with seq in [fromSeq, toSeq], in order; gaps are the caller's to notice. */
export async function* readConsentLog(trx: TenantTransaction, fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): AsyncGenerator<StoredEvent> {
  let next = fromSeq;
  for (;;) {
    const rows = await trx.selectFrom('consent_events').selectAll().where('seq', '>=', next).where('seq', '<=', toSeq).orderBy('seq').limit(PAGE).execute();
    for (const row of rows) yield { link: row.link, event: toConsentEvent(row) };
    if (rows.length < PAGE) return;
    next = rows.at(-1)!.seq + 1;
  }
}

export function toConsentEvent(row: Selectable<ConsentEventTable>): ConsentEvent {
  return {
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
  };
}
