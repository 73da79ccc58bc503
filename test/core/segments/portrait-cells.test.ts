import { describe, expect, it } from 'vitest';
import { kAnonymousCells, OTHER } from '../../../core/segments/portrait-cells.ts';

describe('k-anonymous portrait cells', () => {
  it('pools small cells into "other", then grows "other" from the smallest cells until it reaches k', () => {
    expect(kAnonymousCells([{ value: 'a', count: 12 }, { value: 'b', count: 10 }, { value: 'c', count: 3 }], 10)).toEqual([
      { value: 'a', count: 12 },
      { value: OTHER, count: 13 },
    ]);
    expect(kAnonymousCells([{ value: 'a', count: 30 }, { value: 'b', count: 20 }], 10)).toEqual([
      { value: 'a', count: 30 },
      { value: 'b', count: 20 },
    ]);
    expect(kAnonymousCells([{ value: 'a', count: 4 }, { value: 'b', count: 5 }], 10)).toEqual([]);
  });

  it('never emits a cell under k, and the cells always add up to everyone (nothing to subtract)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 2_000; round++) {
      const k = 2 + Math.floor(random() * 20);
      const cells = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, i) => ({ value: `v${i}`, count: Math.floor(random() * 3 * k) }));
      const total = cells.reduce((sum, c) => sum + c.count, 0);
      const out = kAnonymousCells(cells, k);
      for (const cell of out) expect(cell.count).toBeGreaterThanOrEqual(k);
      expect(out.reduce((sum, c) => sum + c.count, 0)).toBe(total >= k ? total : 0);
    }
  });
});
