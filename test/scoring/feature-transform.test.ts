import { describe, expect, it } from 'vitest';
import { applyFeatureTransform, fitFeatureTransform } from '../../core/scoring/feature-transform.ts';
import { errorCode } from '../support/error-code.ts';

const columns = (count: number, rows: number) => Array.from({ length: count }, (_, j) => Float64Array.from({ length: rows }, (_, i) => Math.sin(i * (j + 1)) * (j + 1) + j));

describe('feature transform', () => {
  it('standardises each column and leaves few features unscaled and unclipped', () => {
    const raw = columns(4, 1000);
    const transform = fitFeatureTransform(raw, 8);
    expect(transform.rowScale).toBe(1);
    for (const column of applyFeatureTransform(transform, raw)) {
      const mean = column.reduce((a, b) => a + b, 0) / column.length;
      const variance = column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length;
      expect(Math.abs(mean)).toBeLessThan(1e-9);
      expect(variance).toBeCloseTo(1, 9);
    }
  });

  it('scales many features by clipNorm/√d and clips every row to clipNorm', () => {
    const raw = columns(400, 500);
    const transform = fitFeatureTransform(raw, 8);
    expect(transform.rowScale).toBeCloseTo(8 / 20, 12);
    const out = applyFeatureTransform(transform, raw);
    for (let i = 0; i < 500; i++) expect(Math.sqrt(out.reduce((s, column) => s + column[i]! ** 2, 0))).toBeLessThanOrEqual(8 + 1e-9);
  });

  it('refuses a constant feature and columns that do not match the transform', () => {
    const raw = [...columns(2, 100), new Float64Array(100).fill(3)];
    expect(errorCode(() => fitFeatureTransform(raw, 8))).toBe('ACCORD_ERR_SCORING_CONSTANT_FEATURE');
    expect(errorCode(() => applyFeatureTransform(fitFeatureTransform(columns(2, 100), null), columns(3, 100)))).toBe('ACCORD_ERR_SCORING_DATA_MISMATCH');
  });
});
