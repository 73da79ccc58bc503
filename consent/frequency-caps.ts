/**
 * Frequency caps: at most N messages on a channel per day, week or month. Windows are rolling
 * (the last 24 hours, 7 days, 30 days before the instant), so a cap cannot be dodged by sending a
 * burst either side of a midnight, and no time zone is involved.
 */
import { ConsentError } from './consent-errors.ts';

export const capPeriods = ['day', 'week', 'month'] as const;
export type CapPeriod = (typeof capPeriods)[number];

export type FrequencyCap = Partial<Record<CapPeriod, number>>;
export type SentCounts = Record<CapPeriod, number>;

const HOUR_MS = 3_600_000;
export const capWindowMs: Record<CapPeriod, number> = { day: 24 * HOUR_MS, week: 7 * 24 * HOUR_MS, month: 30 * 24 * HOUR_MS };

/** Far above any sane marketing cadence; a larger number is a typo, not a preference. */
const MAX_CAP = 10_000;

export function validateFrequencyCap(channel: string, cap: FrequencyCap): FrequencyCap {
  const periods = Object.keys(cap);
  if (periods.length === 0 || periods.some((p) => !(capPeriods as readonly string[]).includes(p))) {
    throw new ConsentError('ACCORD_ERR_PREFERENCE_CAP', `the cap for ${channel} names periods among ${capPeriods.join(', ')}`);
  }
  for (const [period, limit] of Object.entries(cap)) {
    if (!Number.isInteger(limit) || limit! < 1 || limit! > MAX_CAP) {
      throw new ConsentError('ACCORD_ERR_PREFERENCE_CAP', `the ${period} cap for ${channel} must be a whole number from 1 to ${MAX_CAP}`);
    }
  }
  return Object.fromEntries(capPeriods.filter((p) => cap[p] !== undefined).map((p) => [p, cap[p]]));
}

/** The first period whose cap the counted sends have reached, if any. */
export function reachedCap(cap: FrequencyCap | undefined, sent: SentCounts): CapPeriod | undefined {
  return cap ? capPeriods.find((period) => cap[period] !== undefined && sent[period] >= cap[period]!) : undefined;
}
