import { describe, expect, it } from 'vitest';
import { keystream } from '../../crypto/keystream.ts';

const seed = new Uint8Array(32).fill(9);

describe('keystream', () => {
  it('repeats for one seed and label and differs across labels and seeds', () => {
    const bytes = (s: Uint8Array, label: string) => {
      const out = new Uint8Array(64);
      keystream(s, label).fill(out);
      return Buffer.from(out).toString('hex');
    };
    expect(bytes(seed, 'a')).toBe(bytes(seed, 'a'));
    expect(bytes(seed, 'a')).not.toBe(bytes(seed, 'b'));
    expect(bytes(seed, 'a')).not.toBe(bytes(new Uint8Array(32).fill(8), 'a'));
    expect(bytes(seed, 'a')).not.toMatch(/^0+$/);
  });

  it('gives uniform doubles in [0, 1) and refuses a seed of the wrong length', () => {
    const stream = keystream(seed, 'unit');
    const values = Array.from({ length: 10_000 }, () => stream.unit());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(values.reduce((a, b) => a + b, 0) / values.length - 0.5)).toBeLessThan(0.02);
    expect(() => keystream(new Uint8Array(16), 'x')).toThrow(RangeError);
  });
});
