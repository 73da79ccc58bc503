/**
 * TikTok integrated reports (reference §2.2, ✅ official SDK): BASIC report at AUCTION_CAMPAIGN level
 * by campaign_id and stat_time_day; metrics come back as strings, spend in the advertiser's
 * currency (read from a metric, ❓). Paged by page_info.total_page.
 */
import type { CampaignDay, ReportSource } from '../../core/activation/report-source.ts';
import { decimalToMicros } from '../common/money.ts';
import { tiktokAssumptions, type TikTokAssumptions } from './tiktok-assumptions.ts';
import { tiktokClient } from './tiktok-client.ts';

interface ReportRow {
  dimensions: { campaign_id: string | number; stat_time_day: string };
  metrics: Record<string, string>;
}

export function tiktokReports(overrides: Partial<TikTokAssumptions> = {}): ReportSource {
  const assumptions = { ...tiktokAssumptions, ...overrides };
  const client = tiktokClient(assumptions);
  return {
    platform: 'tiktok',
    async campaignDays(ctx, range) {
      const days: CampaignDay[] = [];
      for (let page = 1, pages = 1; page <= pages; page++) {
        const response = await client.call(ctx, {
          method: 'GET',
          url: client.url(ctx, 'api', '/open_api/v1.3/report/integrated/get/'),
          query: {
            advertiser_id: ctx.accountId,
            report_type: 'BASIC',
            data_level: 'AUCTION_CAMPAIGN',
            dimensions: JSON.stringify(['campaign_id', 'stat_time_day']),
            metrics: JSON.stringify(['spend', 'impressions', 'clicks', 'conversion', assumptions.currencyMetric]),
            start_date: range.from,
            end_date: range.to,
            page,
            page_size: 1000,
          },
        });
        const data = (response.body as { data: { list?: ReportRow[]; page_info?: { total_page?: number } } }).data;
        pages = data.page_info?.total_page ?? 1;
        for (const row of data.list ?? []) {
          days.push({
            campaignId: String(row.dimensions.campaign_id),
            date: row.dimensions.stat_time_day.slice(0, 10),
            impressions: Number(row.metrics.impressions ?? 0),
            clicks: Number(row.metrics.clicks ?? 0),
            spendMicros: decimalToMicros('tiktok', row.metrics.spend ?? '0'),
            currency: String(row.metrics[assumptions.currencyMetric]),
            conversions: Number(row.metrics.conversion ?? 0),
          });
        }
      }
      return days;
    },
  };
}
