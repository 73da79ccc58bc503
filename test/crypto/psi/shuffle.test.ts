import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shufflePacked } from '../../../crypto/psi/shuffle.ts';

describe('shufflePacked', () => {
  it('returns a permutation of the elements and the map back to their origin', () => {
    const packed = randomBytes(32 * 1_000);
    const { shuffled, permutation } = shufflePacked(packed, 32);
    expect([...permutation].sort((a, b) => a - b)).toEqual([...Array(1_000).keys()]);
    for (let i = 0; i < 1_000; i += 1) {
      const from = permutation[i]! * 32;
      expect(Buffer.compare(shuffled.subarray(i * 32, i * 32 + 32), packed.subarray(from, from + 32))).toBe(0);
    }
    expect(Buffer.compare(shuffled, packed)).not.toBe(0);
  });

  it('puts every element in every position about equally often', () => {
    // 4 elements, 24,000 shuffles: each of the 16 (element, position) cells expects 6,000.
    const packed = Uint8Array.from([0, 1, 2, 3]);
    const counts = new Array<number>(16).fill(0);
    for (let round = 0; round < 24_000; round += 1) {
      const { shuffled } = shufflePacked(packed, 1);
      shuffled.forEach((element, position) => (counts[element * 4 + position]! += 1));
    }
    // Chi-square with 9 degrees of freedom; 40 is far beyond the 0.0001 quantile (≈33.7).
    const chiSquare = counts.reduce((sum, count) => sum + (count - 6_000) ** 2 / 6_000, 0);
    expect(chiSquare).toBeLessThan(40);
  });

  it('handles empty and single-element input', () => {
    expect(shufflePacked(new Uint8Array(0), 32).permutation.length).toBe(0);
    const one = randomBytes(12);
    const { shuffled, permutation } = shufflePacked(one, 12);
    expect([...permutation]).toEqual([0]);
    expect(Buffer.compare(shuffled, one)).toBe(0);
  });

  it('refuses ragged input', () => {
    expect(() => shufflePacked(new Uint8Array(33), 32)).toThrow(RangeError);
    expect(() => shufflePacked(new Uint8Array(32), 0)).toThrow(RangeError);
  });
});
