/**
 * The campaign results a fake reports: two campaigns (ids above 2^53) with deterministic figures
 * for every day of a range. Spend is in cents so each fake can render it its platform's way
 * (decimal text, 元, 分, micros) and tests can compare in micros.
 */
import { createHash } from 'node:crypto';

export interface FakeCampaignDay {
  readonly campaignId: string;
  readonly campaignName: string;
  readonly date: string;
  readonly impressions: number;
  readonly clicks: number;
  readonly spendCents: number;
  readonly conversions: number;
}

export const FAKE_CAMPAIGNS = [
  { id: '9007199254740995', name: 'Spring members' },
  { id: '9007199254741017', name: 'Lookalike 1%' },
] as const;

const DAY_MS = 86_400_000;

function datesBetween(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let at = Date.parse(`${from}T00:00:00Z`); at <= Date.parse(`${to}T00:00:00Z`); at += DAY_MS) dates.push(new Date(at).toISOString().slice(0, 10));
  return dates;
}

export function fakeCampaignDays(from: string, to: string): FakeCampaignDay[] {
  return datesBetween(from, to).flatMap((date) =>
    FAKE_CAMPAIGNS.map(({ id, name }) => {
      const seed = createHash('sha256').update(`${id} ${date}`).digest();
      const impressions = 1000 + seed.readUInt16BE(0);
      const clicks = Math.floor(impressions / (20 + (seed[2]! % 30)));
      return { campaignId: id, campaignName: name, date, impressions, clicks, spendCents: clicks * (35 + (seed[3]! % 90)), conversions: seed[4]! % 7 };
    }),
  );
}

/** One page of a list, pages numbered from 1. */
export function pageOf<T>(items: readonly T[], page: number, pageSize: number): { items: T[]; totalPages: number } {
  return { items: items.slice((page - 1) * pageSize, page * pageSize), totalPages: Math.max(1, Math.ceil(items.length / pageSize)) };
}
