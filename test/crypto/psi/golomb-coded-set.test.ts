import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GolombCodedSet, GolombCodedSetError, reduceToRange, riceBitsFor, type GolombCodedSetErrorCode } from '../../../crypto/psi/golomb-coded-set.ts';

const TAG = 16;

function refused(action: () => unknown): GolombCodedSetErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof GolombCodedSetError) return error.code;
    throw error;
  }
  throw new Error('the set was accepted');
}

const members = randomBytes(TAG * 20_000);

describe('Golomb-coded set', () => {
  it('derives the Rice parameter from the false positive rate', () => {
    expect(riceBitsFor(0.5)).toBe(1);
    expect(riceBitsFor(2 ** -10)).toBe(10);
    expect(riceBitsFor(0.001)).toBe(10);
    expect(riceBitsFor(1e-15)).toBe(50);
    expect(riceBitsFor(2 ** -64)).toBe(64);
    expect(() => riceBitsFor(2 ** -65)).toThrow(RangeError);
    expect(() => riceBitsFor(0)).toThrow(RangeError);
    expect(() => riceBitsFor(1)).toThrow(RangeError);
  });

  it('reduces a 64-bit hash onto [0, n) exactly as 128-bit arithmetic would', () => {
    const words = new Uint32Array(3);
    for (let round = 0; round < 5_000; round += 1) {
      crypto.getRandomValues(words);
      const [a, b, rawN] = words as unknown as [number, number, number];
      const n = round % 2 === 0 ? rawN : (rawN % 1000) + 1;
      const exact = Number((((BigInt(a) << 32n) | BigInt(b)) * BigInt(n)) >> 64n);
      expect(reduceToRange(a, b, n)).toBe(exact);
    }
    expect(reduceToRange(0xffff_ffff, 0xffff_ffff, 0xffff_ffff)).toBe(0xffff_fffe);
  });

  it('finds every member after a round trip through its serialized form', () => {
    const built = GolombCodedSet.build(members, TAG, { falsePositiveRate: 1e-6 });
    const decoded = GolombCodedSet.decode(built.encode(), { maxCount: 20_000 });
    expect(decoded.count).toBe(20_000);
    expect(decoded.riceBits).toBe(20);
    expect(Buffer.compare(decoded.encode(), built.encode())).toBe(0);
    expect(decoded.matchIndices(members, TAG).length).toBe(20_000);
    expect(decoded.has(members.subarray(0, TAG))).toBe(true);
    expect(decoded.has(randomBytes(TAG))).toBe(false);
  });

  it('costs about k + 2 bits per element', () => {
    const built = GolombCodedSet.build(members, TAG, { falsePositiveRate: 1e-6 });
    const bitsPerElement = (built.encode().length * 8) / 20_000;
    expect(bitsPerElement).toBeGreaterThan(21);
    expect(bitsPerElement).toBeLessThan(22.5);
  });

  it('tests positive for non-members at about the configured rate', () => {
    // fpr 0.01 gives k = 7: each of 100k non-members tests positive with probability 1/128 (≈781 expected).
    const set = GolombCodedSet.build(members.subarray(0, TAG * 10_000), TAG, { falsePositiveRate: 0.01 });
    const strangers = randomBytes(TAG * 100_000);
    const falsePositives = set.matchIndices(strangers, TAG).length;
    expect(falsePositives).toBeGreaterThan(100_000 / 128 / 2);
    expect(falsePositives).toBeLessThan(100_000 * 0.01 * 1.5);
  });

  it('works where the range exceeds 2^63 (n = 1e6, fpr = 1e-9 / 1e6), where int64 overflowed', () => {
    const n = 1_000_000;
    const big = randomBytes(TAG * n);
    const set = GolombCodedSet.build(big, TAG, { falsePositiveRate: 1e-9 / 1e6 });
    expect(set.riceBits).toBe(50);
    expect(set.range).toBe(1_000_000n << 50n);
    expect(set.range > 2n ** 63n).toBe(true);
    const decoded = GolombCodedSet.decode(set.encode(), { maxCount: n });
    // A million member lookups in one walk, and no false positive among 100k strangers.
    expect(decoded.matchIndices(big, TAG).length).toBe(n);
    expect(decoded.matchIndices(randomBytes(TAG * 100_000), TAG).length).toBe(0);
  });

  it('handles Rice parameters around the 32-bit word boundary and at 64', () => {
    for (const riceBits of [1, 31, 32, 33, 63, 64]) {
      const set = GolombCodedSet.build(members.subarray(0, TAG * 3_000), TAG, { falsePositiveRate: 2 ** -riceBits });
      expect(set.riceBits).toBe(riceBits);
      const decoded = GolombCodedSet.decode(set.encode(), { maxCount: 3_000 });
      expect(decoded.matchIndices(members.subarray(0, TAG * 3_000), TAG).length).toBe(3_000);
    }
  });

  it('keeps duplicates and reports matching query indices in order', () => {
    const a = Uint8Array.from({ length: TAG }, () => 1);
    const b = Uint8Array.from({ length: TAG }, () => 2);
    const c = Uint8Array.from({ length: TAG }, () => 3);
    const set = GolombCodedSet.decode(GolombCodedSet.build(Buffer.concat([a, a, b]), TAG, { falsePositiveRate: 1e-12 }).encode(), { maxCount: 3 });
    expect([...set.matchIndices(Buffer.concat([c, b, a, c, a]), TAG)]).toEqual([1, 2, 4]);
  });

  it('handles the empty set', () => {
    const empty = GolombCodedSet.decode(GolombCodedSet.build(new Uint8Array(0), TAG, { falsePositiveRate: 1e-6 }).encode(), { maxCount: 0 });
    expect(empty.count).toBe(0);
    expect(empty.has(randomBytes(TAG))).toBe(false);
  });

  it('refuses malformed and oversized encodings', () => {
    const good = GolombCodedSet.build(members.subarray(0, TAG * 100), TAG, { falsePositiveRate: 1e-6 }).encode();
    const withByte = (offset: number, value: number) => {
      const copy = good.slice();
      copy[offset] = value;
      return copy;
    };
    const decode = (bytes: Uint8Array, maxCount = 100) => () => GolombCodedSet.decode(bytes, { maxCount });
    expect(refused(decode(good, 99))).toBe('ACCORD_ERR_PSI_GCS_TOO_LARGE');
    expect(refused(decode(good.subarray(0, 5)))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    expect(refused(decode(good.subarray(0, good.length - 1)))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    expect(refused(decode(Buffer.concat([good, new Uint8Array(1)])))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    expect(refused(decode(withByte(0, 0x58)))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    expect(refused(decode(withByte(4, 2)))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    expect(refused(decode(withByte(5, 0)))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    expect(refused(decode(withByte(5, 65)))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    // A stream of ones is an endless unary gap; it must stop at the end of the range.
    const ones = good.slice();
    ones.fill(0xff, 10);
    expect(refused(decode(ones))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
    // Claiming more elements than the stream can hold is refused before walking it.
    const inflated = good.slice();
    new DataView(inflated.buffer).setUint32(6, 90_000);
    expect(refused(decode(inflated, 100_000))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
  });

  it('refuses nonzero padding bits', () => {
    // One element at k = 1 takes 2 bits (hi gap 0 as "0", then 1 bit of lo): 6 bits of padding follow.
    const tiny = GolombCodedSet.build(members.subarray(0, TAG), TAG, { falsePositiveRate: 0.5 }).encode();
    expect(tiny.length).toBe(11);
    const padded = tiny.slice();
    padded[10]! |= 0x01;
    expect(() => GolombCodedSet.decode(tiny, { maxCount: 1 })).not.toThrow();
    expect(refused(() => GolombCodedSet.decode(padded, { maxCount: 1 }))).toBe('ACCORD_ERR_PSI_GCS_MALFORMED');
  });
});
