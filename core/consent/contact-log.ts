/**
 * The contact log: every message sent to a subject on a channel, so frequency caps count real sends.
 * Idempotent per client send id, so a retried delivery report is not counted twice.
 */
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import { checkClientTime } from '../../consent/collection-time.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { capWindowMs, type SentCounts } from '../../consent/frequency-caps.ts';
import { checkContactChannel, type ContactChannel } from '../../consent/preferences.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface ContactInput {
  clientSendId: string;
  subject: string;
  channel: string;
  topic?: string | undefined;
  sentAt: Date;
}

export async function recordContact(trx: TenantTransaction, input: ContactInput, receivedAt = new Date()): Promise<{ duplicate: boolean }> {
  checkClientTime('sentAt', input.sentAt, receivedAt);
  const row = {
    client_send_id: input.clientSendId.normalize('NFC'),
    subject: input.subject.normalize('NFC'),
    channel: checkContactChannel(input.channel),
    topic: input.topic ?? null,
    sent_at: input.sentAt,
  };
  const inserted = await trx
    .insertInto('consent_contact_log')
    .values({ ...row, tenant_id: trx.tenantId, received_at: receivedAt })
    .onConflict((oc) => oc.columns(['tenant_id', 'client_send_id']).doNothing())
    .returning('client_send_id')
    .executeTakeFirst();
  if (inserted) return { duplicate: false };
  const stored = await trx
    .selectFrom('consent_contact_log')
    .select(['client_send_id', 'subject', 'channel', 'topic', 'sent_at'])
    .where('client_send_id', '=', row.client_send_id)
    .executeTakeFirstOrThrow();
  if (!isDeepStrictEqual(stored, row)) throw new ConsentError('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH', `send ${row.client_send_id} was recorded with other content`);
  return { duplicate: true };
}

/** Sends on `channel` in each rolling window ending at `at` (inclusive), per subject; absent subjects sent nothing. */
export async function sentCountsOf(trx: TenantTransaction, subjects: readonly string[], channel: ContactChannel, at: Date): Promise<Map<string, SentCounts>> {
  if (subjects.length === 0) return new Map();
  const since = (ms: number) => new Date(at.getTime() - ms);
  const rows = await trx
    .selectFrom('consent_contact_log')
    .select([
      'subject',
      sql<number>`count(*) filter (where sent_at > ${since(capWindowMs.day)})`.as('day'),
      sql<number>`count(*) filter (where sent_at > ${since(capWindowMs.week)})`.as('week'),
      sql<number>`count(*)`.as('month'),
    ])
    .where('subject', 'in', [...new Set(subjects)])
    .where('channel', '=', channel)
    .where('sent_at', '>', since(capWindowMs.month))
    .where('sent_at', '<=', at)
    .groupBy('subject')
    .execute();
  return new Map(rows.map((row) => [row.subject, { day: Number(row.day), week: Number(row.week), month: Number(row.month) }]));
}
