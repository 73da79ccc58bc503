/** The port for pulling campaign results: one row per campaign and day, money in micros of a named currency. */
import type { PlatformContext } from './platform-context.ts';

export interface CampaignDay {
  readonly campaignId: string;
  readonly campaignName?: string | undefined;
  /** YYYY-MM-DD in the ad account's time zone. */
  readonly date: string;
  readonly impressions: number;
  readonly clicks: number;
  /** Spend in millionths of the currency unit (Google cost_micros; decimals, 元 and 分 converted). */
  readonly spendMicros: bigint;
  /** ISO 4217. */
  readonly currency: string;
  readonly conversions: number;
}

export interface ReportSource {
  readonly platform: string;
  /** Every campaign-day from `from` to `to` inclusive (YYYY-MM-DD), across all pages. */
  campaignDays(ctx: PlatformContext, range: { readonly from: string; readonly to: string }): Promise<CampaignDay[]>;
}
