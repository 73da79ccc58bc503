import { describe, expect, it } from 'vitest';
import { sampleDiscreteLaplace } from '../../../core/guard/discrete-laplace.ts';

/** Moments of many samples against the exact discrete Laplace: P(k) ∝ q^|k| with q = e^−ε. */
function moments(epsilonNum: number, epsilonDen: number, n: number) {
  let sum = 0;
  let squares = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const x = sampleDiscreteLaplace(epsilonNum, epsilonDen);
    expect(Number.isInteger(x)).toBe(true);
    sum += x;
    squares += x * x;
    if (x === 0) zeros += 1;
  }
  const mean = sum / n;
  return { mean, variance: squares / n - mean * mean, zeroShare: zeros / n };
}

describe('discrete Laplace noise', () => {
  it.each([
    [0.5, 500_000, 1_000_000],
    [1 / 3, 1_000_000, 3_000_000],
    [1, 1, 1],
  ])('has mean about 0, variance about 2q/(1−q)² ≈ 2/ε² and the right share of zeros at ε = %f', (epsilon, num, den) => {
    const q = Math.exp(-epsilon);
    const n = 40_000;
    const exactVariance = (2 * q) / (1 - q) ** 2;
    const { mean, variance, zeroShare } = moments(num, den, n);
    // Generous bounds: about 8 standard errors of each estimate.
    expect(Math.abs(mean)).toBeLessThan(8 * Math.sqrt(exactVariance / n));
    expect(variance / exactVariance).toBeGreaterThan(0.85);
    expect(variance / exactVariance).toBeLessThan(1.15);
    expect(Math.abs(zeroShare - (1 - q) / (1 + q))).toBeLessThan(0.03);
    if (epsilon <= 0.5) expect(variance).toBeGreaterThan(0.75 * (2 / epsilon ** 2));
  });

  it('is symmetric: as many draws above zero as below', () => {
    let above = 0;
    let below = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = sampleDiscreteLaplace(1, 1);
      if (x > 0) above += 1;
      if (x < 0) below += 1;
    }
    expect(Math.abs(above - below) / (above + below)).toBeLessThan(0.05);
  });

  it('draws its randomness from the uniform source it is given (CKS20 Algorithm 2, step by step)', () => {
    // ε = 1/2, so t = 2 and s = 1. First try: u = 0, accepted, geometric part 0, sign −, so y = 0
    // is rejected (zero must not be drawn twice). Second try: u = 1, accepted, geometric part 1,
    // x = 1 + 2·1 = 3, y = 3, sign +.
    const script = [0, 1, 0, 1, 1, 1, 1, 0, 0, 2, 0, 1, 0];
    const ranges: number[] = [];
    const uniform = (max: number) => {
      ranges.push(max);
      const next = script.shift();
      if (next === undefined) throw new Error('script exhausted');
      return next;
    };
    expect(sampleDiscreteLaplace(1, 2, uniform)).toBe(3);
    expect(script).toEqual([]);
    expect(ranges).toEqual([2, 2, 1, 2, 2, 2, 2, 1, 2, 3, 1, 2, 2]);
  });

  it('refuses an epsilon that is not a ratio of positive integers', () => {
    expect(() => sampleDiscreteLaplace(0, 1)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(0.5, 1)).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(1, 2 ** 45)).toThrow(RangeError);
  });
});
