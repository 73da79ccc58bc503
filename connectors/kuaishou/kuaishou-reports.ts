/**
 * Kuaishou campaign reports (reference §2.2): v1/report/campaign_report, daily, ≤2,000 rows a
 * page; charge in 元 (CNY), show as impressions, conversion_num; clicks from the field
 * kuaishou-assumptions.ts names (❓), and the answer's `details`/`total_count` shape is ❓.
 */
import type { CampaignDay, ReportSource } from '../../core/activation/report-source.ts';
import { decimalToMicros } from '../common/money.ts';
import { kuaishouAssumptions, type KuaishouAssumptions } from './kuaishou-assumptions.ts';
import { kuaishouClient } from './kuaishou-client.ts';

const PAGE_SIZE = 2000;

export function kuaishouReports(overrides: Partial<KuaishouAssumptions> = {}): ReportSource {
  const assumptions = { ...kuaishouAssumptions, ...overrides };
  const client = kuaishouClient(assumptions);
  return {
    platform: 'kuaishou',
    async campaignDays(ctx, range) {
      const days: CampaignDay[] = [];
      // Pages until total_count rows have come, or a page comes back empty.
      for (let page = 1, total = 1, got = 1; days.length < total && got > 0; page++) {
        const response = await client.call(ctx, {
          method: 'POST',
          url: client.url(ctx, 'api', '/rest/openapi/v1/report/campaign_report'),
          json: { advertiser_id: BigInt(ctx.accountId), start_date: range.from, end_date: range.to, temporal_granularity: 'DAILY', page, page_size: PAGE_SIZE },
        });
        const data = (response.body as { data: { details?: Array<Record<string, unknown>>; total_count?: number } }).data;
        total = data.total_count ?? 0;
        got = data.details?.length ?? 0;
        for (const row of data.details ?? []) {
          days.push({
            campaignId: String(row.campaign_id),
            campaignName: row.campaign_name === undefined ? undefined : String(row.campaign_name),
            date: String(row.stat_date),
            impressions: Number(row.show ?? 0),
            clicks: Number(row[assumptions.clickField] ?? 0),
            spendMicros: decimalToMicros('kuaishou', String(row.charge ?? 0)),
            currency: 'CNY',
            conversions: Number(row.conversion_num ?? 0),
          });
        }
      }
      return days;
    },
  };
}
