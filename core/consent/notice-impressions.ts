/**
 * Notices served: one row per time a notice version was shown, the denominator of consent rates.
 * Deduplicated by the client's impression id, so retries and repeat renders do not inflate it.
 */
import { isDeepStrictEqual } from 'node:util';
import { checkClientTime } from '../../consent/collection-time.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { findNotice } from './notices.ts';

export interface ImpressionInput {
  clientImpressionId: string;
  noticeId: string;
  /** The purposes the notice asked about here; all the notice's purposes when absent. */
  purposes?: string[] | undefined;
  /** Where it was shown, in the same words consent events use for their channel (e.g. app, web). */
  channel: string;
  servedAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function recordNoticeImpression(trx: TenantTransaction, input: ImpressionInput, receivedAt = new Date()): Promise<{ duplicate: boolean }> {
  checkClientTime('servedAt', input.servedAt, receivedAt);
  const notice = UUID.test(input.noticeId) ? await findNotice(trx, input.noticeId) : undefined;
  if (!notice) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', `unknown notice ${input.noticeId}`);
  const purposes = [...new Set(input.purposes ?? notice.purposes)].sort();
  const outside = purposes.find((purpose) => !notice.purposes.includes(purpose));
  if (outside) throw new ConsentError('ACCORD_ERR_CONSENT_NOTICE_SCOPE', `notice ${notice.noticeKey} v${notice.version} does not cover ${outside}`);
  if (purposes.length === 0) throw new ConsentError('ACCORD_ERR_CONSENT_NOTICE_SCOPE', 'an impression names at least one purpose');
  if (input.servedAt.getTime() < notice.createdAt.getTime()) {
    throw new ConsentError('ACCORD_ERR_CONSENT_COLLECTED_AT', `servedAt is before notice ${notice.noticeKey} v${notice.version} was published`);
  }
  const row = { client_impression_id: input.clientImpressionId.normalize('NFC'), notice_id: notice.id, purposes, channel: input.channel.normalize('NFC'), served_at: input.servedAt };
  const inserted = await trx
    .insertInto('consent_notice_impressions')
    .values({ ...row, tenant_id: trx.tenantId, received_at: receivedAt })
    .onConflict((oc) => oc.columns(['tenant_id', 'client_impression_id']).doNothing())
    .returning('client_impression_id')
    .executeTakeFirst();
  if (inserted) return { duplicate: false };
  const stored = await trx
    .selectFrom('consent_notice_impressions')
    .select(['client_impression_id', 'notice_id', 'purposes', 'channel', 'served_at'])
    .where('client_impression_id', '=', row.client_impression_id)
    .executeTakeFirstOrThrow();
  if (!isDeepStrictEqual(stored, row)) throw new ConsentError('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH', `impression ${row.client_impression_id} was recorded with other content`);
  return { duplicate: true };
}
