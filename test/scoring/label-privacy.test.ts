import { describe, expect, it } from 'vitest';
import { keystream } from '../../crypto/keystream.ts';
import { gradientNormLeakAuc, type ProviderStepView } from '../../core/scoring/label-leakage.ts';
import { labelDpEpsilon, labelDpNoise, snapToReleaseGrid } from '../../core/scoring/label-dp.ts';

const SEED = new Uint8Array(32).fill(5);

describe('label DP', () => {
  it('reports ε by Rényi DP: σ = 4 over 5 epochs at δ = 1e-5 is about 2.8 (reference §4.2)', () => {
    expect(labelDpEpsilon(4, 5, 1e-5)).toBeCloseTo(2.84, 2);
    expect(labelDpEpsilon(8, 5, 1e-5)).toBeLessThan(labelDpEpsilon(4, 5, 1e-5));
    expect(labelDpEpsilon(4, 10, 1e-5)).toBeGreaterThan(labelDpEpsilon(4, 5, 1e-5));
    expect(labelDpEpsilon(0, 5, 1e-5)).toBe(Number.POSITIVE_INFINITY);
  });

  it('draws the same noise for a step every time, independent noise for another step or model', () => {
    const a = labelDpNoise(SEED, 'm', 7, 4000, 32);
    expect(labelDpNoise(SEED, 'm', 7, 4000, 32)).toEqual(a);
    expect(labelDpNoise(SEED, 'm', 8, 4000, 32)[0]).not.toBe(a[0]);
    expect(labelDpNoise(SEED, 'n', 7, 4000, 32)[0]).not.toBe(a[0]);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(2);
    expect(sd).toBeGreaterThan(30);
    expect(sd).toBeLessThan(34);
    expect(labelDpNoise(SEED, 'm', 7, 3, 0)).toEqual(new Float64Array(3));
    expect(snapToReleaseGrid(1 + 2 ** -22) * 2 ** 20).toBe(2 ** 20);
  });
});

describe('leak AUC of the gradient-norm attack against the provider view', () => {
  // 2,000 rows, 20 features clipped to norm 8; residuals d = p − y as after the bias is learnt.
  const rows = 2000;
  const features = 20;
  const stream = keystream(SEED, 'leak');
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - stream.unit())) * Math.cos(2 * Math.PI * stream.unit());
  const columns = Array.from({ length: features }, () => Float64Array.from({ length: rows }, gaussian));
  for (let i = 0; i < rows; i++) {
    const norm = Math.sqrt(columns.reduce((s, column) => s + column[i]! ** 2, 0));
    if (norm > 8) for (const column of columns) column[i]! *= 8 / norm;
  }
  const labels = Float64Array.from({ length: rows }, () => Number(stream.unit() < 0.3));
  const views = (batchRows: number, noiseSd: number): ProviderStepView[] =>
    Array.from({ length: rows / batchRows }, (_, b) => {
      const batch = { start: b * batchRows, end: (b + 1) * batchRows };
      const gradientSums = Float64Array.from(columns, (column) => {
        let sum = noiseSd * gaussian();
        for (let i = batch.start; i < batch.end; i++) sum += (0.3 - labels[i]!) * column[i]!;
        return sum;
      });
      return { batch, gradientSums };
    });

  it('finds every label when batches are no larger than the feature count (why the spec refuses them)', () => {
    expect(gradientNormLeakAuc(columns, views(10, 0), labels)).toBeGreaterThan(0.99);
  });

  it('loses most of its power to label-DP noise, and to large batches', () => {
    const exact = gradientNormLeakAuc(columns, views(10, 0), labels);
    expect(gradientNormLeakAuc(columns, views(10, 4 * 8), labels)).toBeLessThan(exact - 0.2);
    expect(gradientNormLeakAuc(columns, views(500, 0), labels)).toBeLessThan(0.7);
  });
});
