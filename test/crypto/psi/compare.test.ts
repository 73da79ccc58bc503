import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COMPARE_BYTES, matchIndices, truncate, TruncatedSet } from '../../../crypto/psi/compare.ts';

const value = (...bytes: number[]) => {
  const out = new Uint8Array(COMPARE_BYTES);
  out.set(bytes);
  return out;
};
const pack = (...values: Uint8Array[]) => Uint8Array.from(values.flatMap((v) => [...v]));

/** The obvious implementation, to check the fast one against. */
function naiveMatches(mine: Uint8Array, theirs: Uint8Array): number[] {
  const set = new Set<string>();
  for (let i = 0; i < theirs.length; i += COMPARE_BYTES) set.add(Buffer.from(theirs.subarray(i, i + COMPARE_BYTES)).toString('hex'));
  const found: number[] = [];
  for (let i = 0; i < mine.length / COMPARE_BYTES; i += 1) {
    if (set.has(Buffer.from(mine.subarray(i * COMPARE_BYTES, (i + 1) * COMPARE_BYTES)).toString('hex'))) found.push(i);
  }
  return found;
}

describe('truncate', () => {
  it('keeps the first 12 bytes of each element', () => {
    const packed = randomBytes(32 * 3);
    const truncated = truncate(packed, 32);
    expect(truncated.length).toBe(36);
    for (let i = 0; i < 3; i += 1) {
      expect(Buffer.compare(truncated.subarray(i * 12, i * 12 + 12), packed.subarray(i * 32, i * 32 + 12))).toBe(0);
    }
  });

  it('refuses ragged input and elements shorter than 12 bytes', () => {
    expect(() => truncate(new Uint8Array(33), 32)).toThrow(RangeError);
    expect(() => truncate(new Uint8Array(22), 11)).toThrow(RangeError);
  });
});

describe('TruncatedSet and matchIndices', () => {
  it('finds members and only members, telling apart values that differ in any byte', () => {
    const base = value(0x10, 0x20, 0x30, 0x40, 5, 6, 7, 8, 9, 10, 11, 12);
    const theirs = TruncatedSet.from(base);
    expect(theirs.has(base)).toBe(true);
    for (let byte = 0; byte < COMPARE_BYTES; byte += 1) {
      const other = base.slice();
      other[byte]! ^= 0x01;
      expect(theirs.has(other)).toBe(false);
    }
  });

  it('reads a value at a byte offset and refuses one that does not fit', () => {
    const theirs = TruncatedSet.from(value(1, 2, 3));
    const buffer = pack(value(9), value(1, 2, 3));
    expect(theirs.has(buffer, 12)).toBe(true);
    expect(theirs.has(buffer, 0)).toBe(false);
    expect(() => theirs.has(buffer, 13)).toThrow(RangeError);
  });

  it('handles duplicates on both sides', () => {
    const a = value(1);
    const b = value(2);
    const c = value(3);
    const theirs = TruncatedSet.from(pack(a, a, b, a));
    expect(theirs.size).toBe(2);
    expect([...matchIndices(pack(c, a, b, a, c, b), theirs)]).toEqual([1, 2, 3, 5]);
  });

  it('handles empty sets', () => {
    const empty = TruncatedSet.from(new Uint8Array(0));
    expect(empty.size).toBe(0);
    expect(empty.has(value(0))).toBe(false);
    expect([...matchIndices(new Uint8Array(0), TruncatedSet.from(value(1)))]).toEqual([]);
  });

  it('agrees with a naive set on random data with shared 16-bit and 32-bit prefixes', () => {
    // Values crowded into few prefixes exercise the buckets and the tie-breaking words.
    const crowded = (count: number) => {
      const out = randomBytes(count * COMPARE_BYTES);
      for (let i = 0; i < count; i += 1) {
        out[i * COMPARE_BYTES] = i % 3;
        out[i * COMPARE_BYTES + 1] = 0;
        if (i % 2 === 0) out.fill(7, i * COMPARE_BYTES + 2, i * COMPARE_BYTES + 8);
      }
      return out;
    };
    const theirs = crowded(5_000);
    const mine = Buffer.concat([crowded(3_000), theirs.subarray(0, 2_000 * COMPARE_BYTES)]);
    const fast = [...matchIndices(mine, TruncatedSet.from(theirs))];
    expect(fast).toEqual(naiveMatches(mine, theirs));
    expect(fast.length).toBeGreaterThanOrEqual(2_000);
  });

  it('intersects a million against a million', () => {
    const n = 1_000_000;
    const theirs = randomBytes(n * COMPARE_BYTES);
    const mine = randomBytes(n * COMPARE_BYTES);
    // Every third of my values is one of theirs.
    for (let i = 0; i < n; i += 3) mine.set(theirs.subarray(((i * 7) % n) * COMPARE_BYTES, ((i * 7) % n + 1) * COMPARE_BYTES), i * COMPARE_BYTES);
    const found = matchIndices(mine, TruncatedSet.from(theirs));
    expect(found.length).toBe(Math.ceil(n / 3));
    expect(found.every((index) => index % 3 === 0)).toBe(true);
  });

  it('refuses input that is not whole 12-byte values', () => {
    expect(() => TruncatedSet.from(new Uint8Array(13))).toThrow(RangeError);
    expect(() => matchIndices(new Uint8Array(11), TruncatedSet.from(new Uint8Array(0)))).toThrow(RangeError);
  });
});
