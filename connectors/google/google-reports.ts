/**
 * Google Ads campaign results (reference §2.2, ❓ standard GAQL not re-read): searchStream over
 * campaign with segments.date, cost already in micros, currency from customer.currency_code.
 * int64 fields arrive as strings (proto3 JSON).
 */
import type { ReportSource } from '../../core/activation/report-source.ts';
import { googleAssumptions, type GoogleAssumptions } from './google-assumptions.ts';
import { googleClient } from './google-client.ts';

interface Row {
  customer?: { currencyCode?: string };
  campaign?: { id?: string; name?: string };
  segments?: { date?: string };
  metrics?: { impressions?: string; clicks?: string; costMicros?: string; conversions?: number };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function googleReports(options: { developerToken: string; assumptions?: Partial<GoogleAssumptions> }): ReportSource {
  const assumptions = { ...googleAssumptions, ...options.assumptions };
  const client = googleClient(options.developerToken);
  return {
    platform: 'google',
    async campaignDays(ctx, range) {
      if (!DATE.test(range.from) || !DATE.test(range.to)) throw new RangeError('report dates are YYYY-MM-DD');
      const query =
        'SELECT customer.currency_code, campaign.id, campaign.name, segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions ' +
        `FROM campaign WHERE segments.date BETWEEN '${range.from}' AND '${range.to}'`;
      const response = await client.call(ctx, { method: 'POST', url: client.url(ctx, 'ads', `/${assumptions.adsApiVersion}/customers/${ctx.accountId}/googleAds:searchStream`), json: { query } });
      return (response.body as Array<{ results?: Row[] }>).flatMap((chunk) =>
        (chunk.results ?? []).map((row) => ({
          campaignId: String(row.campaign?.id),
          campaignName: row.campaign?.name,
          date: String(row.segments?.date),
          impressions: Number(row.metrics?.impressions ?? 0),
          clicks: Number(row.metrics?.clicks ?? 0),
          spendMicros: BigInt(row.metrics?.costMicros ?? 0),
          currency: String(row.customer?.currencyCode),
          conversions: Number(row.metrics?.conversions ?? 0),
        })),
      );
    },
  };
}
