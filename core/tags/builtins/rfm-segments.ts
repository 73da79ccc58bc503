/**
 * The 11 RFM segments on the grid of recency score (R) and frequency score (F), both 1–5, 5 best:
 * the common R×F map (champions, loyal, potential_loyalist, new_customers, promising,
 * need_attention, about_to_sleep, at_risk, cant_lose_them, hibernating, lost). Every one of the 25
 * cells belongs to exactly one segment (the test checks it).
 */
export interface RfmSegment {
  name: string;
  r: readonly [number, number];
  f: readonly [number, number];
}

export const rfmSegments: readonly RfmSegment[] = [
  { name: 'champions', r: [5, 5], f: [4, 5] },
  { name: 'loyal', r: [3, 4], f: [4, 5] },
  { name: 'potential_loyalist', r: [4, 5], f: [2, 3] },
  { name: 'new_customers', r: [5, 5], f: [1, 1] },
  { name: 'promising', r: [4, 4], f: [1, 1] },
  { name: 'need_attention', r: [3, 3], f: [3, 3] },
  { name: 'about_to_sleep', r: [3, 3], f: [1, 2] },
  { name: 'at_risk', r: [1, 2], f: [3, 4] },
  { name: 'cant_lose_them', r: [1, 2], f: [5, 5] },
  { name: 'hibernating', r: [2, 2], f: [1, 2] },
  { name: 'lost', r: [1, 1], f: [1, 2] },
];

export function rfmSegmentOf(r: number, f: number): string | undefined {
  return rfmSegments.find((s) => r >= s.r[0] && r <= s.r[1] && f >= s.f[0] && f <= s.f[1])?.name;
}
