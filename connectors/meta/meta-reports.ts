/**
 * Meta campaign insights (reference §2.2, ❓ not re-read): level=campaign, time_increment=1, spend
 * as decimal text in the account currency, conversions summed from `actions` of the types in
 * meta-assumptions.ts; pages followed by cursor.
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';
import type { CampaignDay, ReportSource } from '../../core/activation/report-source.ts';
import { decimalToMicros } from '../common/money.ts';
import { metaAssumptions, type MetaAssumptions } from './meta-assumptions.ts';
import { metaClient } from './meta-client.ts';

interface InsightRow {
  campaign_id: string | number;
  campaign_name?: string;
  date_start: string;
  impressions?: string;
  clicks?: string;
  spend?: string;
  account_currency?: string;
  actions?: Array<{ action_type: string; value: string }>;
}

function missingCurrency(): never {
  throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', 'meta: an insights row came without account_currency', { platform: 'meta' });
}

export function metaReports(overrides: Partial<MetaAssumptions> = {}): ReportSource {
  const assumptions = { ...metaAssumptions, ...overrides };
  const client = metaClient(assumptions);
  return {
    platform: 'meta',
    async campaignDays(ctx, range) {
      const days: CampaignDay[] = [];
      let after: string | undefined;
      do {
        const response = await client.call(ctx, {
          method: 'GET',
          url: client.url(ctx, 'graph', `/${assumptions.apiVersion}/act_${ctx.accountId}/insights`),
          query: {
            level: 'campaign',
            time_increment: '1',
            time_range: JSON.stringify({ since: range.from, until: range.to }),
            fields: 'campaign_id,campaign_name,impressions,clicks,spend,actions,account_currency',
            after,
          },
        });
        const body = response.body as { data?: InsightRow[]; paging?: { cursors?: { after?: string } } };
        for (const row of body.data ?? []) {
          days.push({
            campaignId: String(row.campaign_id),
            campaignName: row.campaign_name,
            date: row.date_start,
            impressions: Number(row.impressions ?? 0),
            clicks: Number(row.clicks ?? 0),
            spendMicros: decimalToMicros('meta', row.spend ?? '0'),
            currency: row.account_currency ?? missingCurrency(),
            conversions: (row.actions ?? []).filter((action) => assumptions.conversionActionTypes.includes(action.action_type)).reduce((sum, action) => sum + Number(action.value), 0),
          });
        }
        after = body.data?.length ? body.paging?.cursors?.after : undefined;
      } while (after !== undefined);
      return days;
    },
  };
}
