/**
 * Ocean Engine custom reports (reference §2.2): report/custom/get with a day and campaign
 * dimension, cost as stat_cost in 元 (CNY); other metric and dimension names are ❓ and come from
 * oceanengine-assumptions.ts. Paged.
 */
import type { CampaignDay, ReportSource } from '../../core/activation/report-source.ts';
import { decimalToMicros } from '../common/money.ts';
import { oceanEngineAssumptions, type OceanEngineAssumptions } from './oceanengine-assumptions.ts';
import { oceanEngineClient } from './oceanengine-client.ts';

interface ReportRow {
  dimensions: Record<string, string | number>;
  metrics: Record<string, string | number>;
}

export function oceanEngineReports(overrides: Partial<OceanEngineAssumptions> = {}): ReportSource {
  const assumptions = { ...oceanEngineAssumptions, ...overrides };
  const client = oceanEngineClient(assumptions);
  const names = assumptions.report;
  return {
    platform: 'oceanengine',
    async campaignDays(ctx, range) {
      const days: CampaignDay[] = [];
      for (let page = 1, pages = 1; page <= pages; page++) {
        const response = await client.call(ctx, {
          method: 'GET',
          url: client.url(ctx, 'api', '/open_api/v3.0/report/custom/get/'),
          query: {
            advertiser_id: ctx.accountId,
            data_topic: 'BASIC_DATA',
            dimensions: JSON.stringify([names.day, names.campaign]),
            metrics: JSON.stringify(['stat_cost', names.impressions, names.clicks, names.conversions]),
            filters: '[]',
            order_by: '[]',
            start_time: range.from,
            end_time: range.to,
            page,
            page_size: 100,
          },
        });
        const data = (response.body as { data: { rows?: ReportRow[]; page_info?: { total_page?: number } } }).data;
        pages = data.page_info?.total_page ?? 1;
        for (const row of data.rows ?? []) {
          days.push({
            campaignId: String(row.dimensions[names.campaign]),
            date: String(row.dimensions[names.day]).slice(0, 10),
            impressions: Number(row.metrics[names.impressions] ?? 0),
            clicks: Number(row.metrics[names.clicks] ?? 0),
            spendMicros: decimalToMicros('oceanengine', row.metrics.stat_cost ?? '0'),
            currency: 'CNY',
            conversions: Number(row.metrics[names.conversions] ?? 0),
          });
        }
      }
      return days;
    },
  };
}
