import { describe, expect, it } from 'vitest';
import { OTHER_CELL, suppressSmallCells, suppressSmallCounts } from '../../../core/guard/suppress-small-cells.ts';

const cells = (entries: Record<string, number>) => Object.entries(entries).map(([key, count]) => ({ key, count }));

describe('minimum cell size', () => {
  it('publishes cells at or above the minimum as they are', () => {
    expect(suppressSmallCells(cells({ 上海: 500, 北京: 300, 广州: 50 }), 50)).toEqual(cells({ 上海: 500, 北京: 300, 广州: 50 }));
  });

  it('suppresses a lone small cell together with the next smallest, so the total cannot give it back', () => {
    const released = suppressSmallCells(cells({ 上海: 500, 北京: 300, 广州: 60, 深圳: 5 }), 50);
    expect(released).toEqual(cells({ 上海: 500, 北京: 300, [OTHER_CELL]: 65 }));
    expect(released.map((c) => c.key)).not.toContain('深圳');
    expect(released.map((c) => c.key)).not.toContain('广州');
  });

  it('pools several small cells without touching large ones when the pool reaches the minimum', () => {
    expect(suppressSmallCells(cells({ a: 500, b: 30, c: 25 }), 50)).toEqual(cells({ a: 500, [OTHER_CELL]: 55 }));
  });

  it('keeps pooling the smallest published cells until the pool holds the minimum', () => {
    expect(suppressSmallCells(cells({ a: 500, b: 60, c: 10, d: 10 }), 50)).toEqual(cells({ a: 500, [OTHER_CELL]: 80 }));
  });

  it('publishes no breakdown when even everything pooled is under the minimum', () => {
    expect(suppressSmallCells(cells({ a: 20, b: 10 }), 50)).toEqual([]);
  });

  it('applies the same rule to counts by identifier type', () => {
    expect(suppressSmallCounts({ email: 950, phone: 30, device: 400 }, 50)).toEqual({ email: 950, [OTHER_CELL]: 430 });
  });
});
