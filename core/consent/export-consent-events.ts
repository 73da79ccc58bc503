/**
 * The tenant's consent events for an auditor, streamed a page at a time (keyset on seq, one short
 * transaction per page), each with the chain link before it and its own, so every row can be
 * rechecked on its own: link = chainLink(previousLink, consentEventRecord(event)). The export ends
 * at the head of the log when it started, so events appended meanwhile do not stretch it.
 */
import type { Kysely } from 'kysely';
import type { ConsentEvent } from '../../consent/consent-event.ts';
import { GENESIS_LINK } from '../../crypto/hash-chain.ts';
import type { Database } from '../db/schema.ts';
import { withTenant } from '../db/tenant-scope.ts';
import { toConsentEvent } from './consent-log-reader.ts';

export interface ExportFilter {
  /** Events recorded (received) at or after this instant. */
  from?: Date | undefined;
  /** Events recorded before this instant. */
  to?: Date | undefined;
  purpose?: string | undefined;
}

export interface ExportedEvent {
  event: ConsentEvent;
  /** Null when the event before it is missing from the log: a gap the auditor should see. */
  previousLink: Uint8Array | null;
  link: Uint8Array;
}

export const EXPORT_PAGE = 1_000;

/** The sequence number the export will end at (0 for an empty log). */
export async function exportHead(db: Kysely<Database>, tenantId: string): Promise<number> {
  const head = await withTenant(db, tenantId, (trx) => trx.selectFrom('consent_chain_heads').select('seq').executeTakeFirst());
  return head?.seq ?? 0;
}

export async function* exportConsentEvents(db: Kysely<Database>, tenantId: string, upTo: number, filter: ExportFilter, pageSize = EXPORT_PAGE): AsyncGenerator<ExportedEvent> {
  let after = 0;
  for (;;) {
    const rows = await withTenant(db, tenantId, (trx) => {
      let query = trx
        .selectFrom('consent_events as e')
        .leftJoin('consent_events as p', (join) => join.onRef('p.tenant_id', '=', 'e.tenant_id').on((eb) => eb('p.seq', '=', eb('e.seq', '-', 1))))
        .selectAll('e')
        .select('p.link as previous_link')
        .where('e.seq', '>', after)
        .where('e.seq', '<=', upTo)
        .orderBy('e.seq')
        .limit(pageSize);
      if (filter.from) query = query.where('e.received_at', '>=', filter.from);
      if (filter.to) query = query.where('e.received_at', '<', filter.to);
      if (filter.purpose) query = query.where('e.purpose', '=', filter.purpose);
      return query.execute();
    });
    for (const row of rows) {
      yield {
        previousLink: row.seq === 1 ? GENESIS_LINK : row.previous_link,
        link: row.link,
        event: toConsentEvent(row),
      };
    }
    if (rows.length < pageSize) return;
    after = rows.at(-1)!.seq;
  }
}
