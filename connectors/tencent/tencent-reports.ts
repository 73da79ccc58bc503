/**
 * Tencent daily_reports/get (reference §2.2): one row per campaign and date, paged up to 2,000
 * rows. Level, metric names and the unit of `cost` are ❓ (tencent-assumptions.ts); CNY.
 */
import type { CampaignDay, ReportSource } from '../../core/activation/report-source.ts';
import { centsToMicros, decimalToMicros } from '../common/money.ts';
import { tencentAssumptions, type TencentAssumptions } from './tencent-assumptions.ts';
import { tencentClient } from './tencent-client.ts';

export function tencentReports(options: { assumptions?: Partial<TencentAssumptions>; now?: () => number } = {}): ReportSource {
  const assumptions = { ...tencentAssumptions, ...options.assumptions };
  const client = tencentClient(assumptions, options.now);
  const fields = assumptions.reportFields;
  return {
    platform: 'tencent',
    async campaignDays(ctx, range) {
      const days: CampaignDay[] = [];
      for (let page = 1, pages = 1; page <= pages; page++) {
        const response = await client.call(ctx, {
          method: 'GET',
          url: client.url(ctx, 'api', '/v3.0/daily_reports/get'),
          query: {
            account_id: ctx.accountId,
            level: assumptions.reportLevel,
            date_range: JSON.stringify({ start_date: range.from, end_date: range.to }),
            group_by: JSON.stringify(['date', 'campaign_id']),
            fields: JSON.stringify(['date', 'campaign_id', 'campaign_name', fields.impressions, fields.clicks, fields.cost, fields.conversions]),
            page,
            page_size: 2000,
          },
        });
        const data = (response.body as { data: { list?: Array<Record<string, unknown>>; page_info?: { total_page?: number } } }).data;
        pages = data.page_info?.total_page ?? 1;
        for (const row of data.list ?? []) {
          const cost = String(row[fields.cost] ?? 0);
          days.push({
            campaignId: String(row.campaign_id),
            campaignName: row.campaign_name === undefined ? undefined : String(row.campaign_name),
            date: String(row.date),
            impressions: Number(row[fields.impressions] ?? 0),
            clicks: Number(row[fields.clicks] ?? 0),
            spendMicros: assumptions.moneyUnit === 'fen' ? centsToMicros('tencent', cost) : decimalToMicros('tencent', cost),
            currency: 'CNY',
            conversions: Number(row[fields.conversions] ?? 0),
          });
        }
      }
      return days;
    },
  };
}
