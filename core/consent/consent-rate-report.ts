/**
 * Consent rates: per purpose, collection channel and notice version over a time range, how often
 * the notice was served and how many people gave, refused and later withdrew consent. People are
 * counted once per row however many events they produced, so retries and repeat clicks do not
 * inflate a rate. A withdrawal counts against the notice and channel of the grant it ends.
 */
import { sql } from 'kysely';
import { ConsentError } from '../../consent/consent-errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface ConsentRateRow {
  purpose: string;
  channel: string;
  noticeId: string;
  noticeKey: string;
  noticeVersion: number;
  language: string;
  served: number;
  given: number;
  refused: number;
  withdrawn: number;
  /** given / served, or null when the notice was not served in the range. */
  consentRate: number | null;
}

export const MAX_REPORT_DAYS = 366;

type Counts = Pick<ConsentRateRow, 'served' | 'given' | 'refused' | 'withdrawn'>;
type Grouped = { purpose: string; channel: string; notice_id: string };

export async function consentRateReport(trx: TenantTransaction, range: { from: Date; to: Date; purpose?: string | undefined }): Promise<ConsentRateRow[]> {
  const span = range.to.getTime() - range.from.getTime();
  if (!(span > 0) || span > MAX_REPORT_DAYS * 86_400_000) {
    throw new ConsentError('ACCORD_ERR_CONSENT_REPORT_RANGE', `the range runs forward from \`from\` to \`to\`, at most ${MAX_REPORT_DAYS} days`);
  }
  const { from, to } = range;
  const purposeFilter = (column: string) => (range.purpose === undefined ? sql`true` : sql`${sql.ref(column)} = ${range.purpose}`);

  const served = await sql<Grouped & { served: number }>`
    select p.purpose, i.channel, i.notice_id, count(*) as served
    from consent_notice_impressions i cross join lateral unnest(i.purposes) as p(purpose)
    where i.served_at >= ${from} and i.served_at < ${to} and ${purposeFilter('p.purpose')}
    group by 1, 2, 3`.execute(trx);

  const decided = await sql<Grouped & { given: number; refused: number }>`
    select e.purpose, e.channel, e.notice_id,
      count(distinct e.subject) filter (where e.kind in ('given', 'guardian_given')) as given,
      count(distinct e.subject) filter (where e.kind = 'refused') as refused
    from consent_events e
    where e.notice_id is not null and e.kind in ('given', 'guardian_given', 'refused')
      and e.collected_at >= ${from} and e.collected_at < ${to} and ${purposeFilter('e.purpose')}
    group by 1, 2, 3`.execute(trx);

  const withdrawn = await sql<Grouped & { withdrawn: number }>`
    select g.purpose, g.channel, g.notice_id, count(distinct w.subject) as withdrawn
    from consent_events w
    cross join lateral (
      select g.purpose, g.channel, g.notice_id from consent_events g
      where g.subject = w.subject and g.purpose = w.purpose and g.recipient = w.recipient and g.regime = w.regime
        and g.kind in ('given', 'guardian_given') and g.collected_at <= w.collected_at
      order by g.collected_at desc, g.seq desc
      limit 1
    ) g
    where w.kind = 'withdrawn' and w.collected_at >= ${from} and w.collected_at < ${to} and ${purposeFilter('w.purpose')}
    group by 1, 2, 3`.execute(trx);

  const rows = new Map<string, Grouped & Counts>();
  const add = (group: Grouped, counts: Partial<Counts>) => {
    const key = `${group.purpose}\0${group.channel}\0${group.notice_id}`;
    const row = rows.get(key) ?? { purpose: group.purpose, channel: group.channel, notice_id: group.notice_id, served: 0, given: 0, refused: 0, withdrawn: 0 };
    for (const [name, value] of Object.entries(counts)) row[name as keyof Counts] += Number(value);
    rows.set(key, row);
  };
  for (const { served: n, ...group } of served.rows) add(group, { served: n });
  for (const { given, refused, ...group } of decided.rows) add(group, { given, refused });
  for (const { withdrawn: n, ...group } of withdrawn.rows) add(group, { withdrawn: n });
  if (rows.size === 0) return [];

  const notices = await trx
    .selectFrom('consent_notices')
    .select(['id', 'notice_key', 'version', 'language'])
    .where('id', 'in', [...new Set([...rows.values()].map((row) => row.notice_id))])
    .execute();
  const noticeById = new Map(notices.map((notice) => [notice.id, notice]));
  return [...rows.values()]
    .map((row) => {
      const notice = noticeById.get(row.notice_id)!;
      return {
        purpose: row.purpose,
        channel: row.channel,
        noticeId: row.notice_id,
        noticeKey: notice.notice_key,
        noticeVersion: notice.version,
        language: notice.language,
        served: row.served,
        given: row.given,
        refused: row.refused,
        withdrawn: row.withdrawn,
        consentRate: row.served > 0 ? Math.round((row.given / row.served) * 10_000) / 10_000 : null,
      };
    })
    .sort((a, b) => a.purpose.localeCompare(b.purpose) || a.channel.localeCompare(b.channel) || a.noticeKey.localeCompare(b.noticeKey) || a.noticeVersion - b.noticeVersion || a.language.localeCompare(b.language));
}
