/** Data Manager's match-rate ranges (MATCH_RATE_RANGE_20_TO_30 ...) as fractions; unknown and not-eligible give none. */

export function googleMatchRate(range: string | undefined): { low: number; high: number } | undefined {
  const between = /_(\d+)_TO_(\d+)$/.exec(range ?? '');
  if (between) return { low: Number(between[1]) / 100, high: Number(between[2]) / 100 };
  const below = /_LESS_THAN_(\d+)$/.exec(range ?? '');
  return below ? { low: 0, high: Number(below[1]) / 100 } : undefined;
}
