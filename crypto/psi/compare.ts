/**
 * The final comparison of a PSI run on 12-byte truncations of the double-blinded elements
 * (SecretFlow's kFinalCompareBytes; reference/psi.md Part 3 point 4). 96 bits keep the chance of a
 * false match below 2^-56 for 1M × 1M elements, and cut the last message to 12 bytes per element.
 *
 * TruncatedSet holds the other side's values sorted, as 32-bit words in one typed array, with a
 * table of where each 16-bit prefix starts: 12 bytes per element plus 256 KiB, built in linear time
 * by a radix sort (no hashing a peer could flood), queried by a short binary search.
 * Known weakness: none beyond the stated false-match bound.
 */
import { compareRecords, sortIndicesByWords } from './sort-words.ts';

export const COMPARE_BYTES = 12;
const WIDTH = COMPARE_BYTES / 4;
const PREFIX_BUCKETS = 1 << 16;

/** The first COMPARE_BYTES bytes of each element: n × 12 bytes. */
export function truncate(packed: Uint8Array, elementBytes: number): Uint8Array {
  if (!Number.isInteger(elementBytes) || elementBytes < COMPARE_BYTES) throw new RangeError(`elements must be at least ${COMPARE_BYTES} bytes`);
  if (packed.length % elementBytes !== 0) throw new RangeError('packed length is not a multiple of the element length');
  const count = packed.length / elementBytes;
  const truncated = new Uint8Array(count * COMPARE_BYTES);
  for (let i = 0; i < count; i += 1) {
    truncated.set(packed.subarray(i * elementBytes, i * elementBytes + COMPARE_BYTES), i * COMPARE_BYTES);
  }
  return truncated;
}

function checkTruncated(truncated: Uint8Array): void {
  if (truncated.length % COMPARE_BYTES !== 0) throw new RangeError(`truncated values are ${COMPARE_BYTES} bytes each`);
}

function wordAt(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

export class TruncatedSet {
  private constructor(
    /** Distinct values in ascending order, WIDTH words each. */
    private readonly words: Uint32Array,
    /** starts[p] is the first value whose top 16 bits are ≥ p; starts[PREFIX_BUCKETS] = size. */
    private readonly starts: Uint32Array,
  ) {}

  static from(truncated: Uint8Array): TruncatedSet {
    checkTruncated(truncated);
    const count = truncated.length / COMPARE_BYTES;
    const unsorted = new Uint32Array(count * WIDTH);
    for (let i = 0; i < unsorted.length; i += 1) unsorted[i] = wordAt(truncated, i * 4);
    const order = sortIndicesByWords(unsorted, WIDTH);

    const words = new Uint32Array(count * WIDTH);
    let size = 0;
    for (const record of order) {
      if (size > 0 && compareRecords(unsorted, record, words, size - 1, WIDTH) === 0) continue;
      words.set(unsorted.subarray(record * WIDTH, record * WIDTH + WIDTH), size * WIDTH);
      size += 1;
    }
    const distinct = words.slice(0, size * WIDTH);
    return new TruncatedSet(distinct, prefixStarts(distinct, size));
  }

  get size(): number {
    return this.words.length / WIDTH;
  }

  /** Whether the 12 bytes of `x` starting at byte `offset` are in the set. */
  has(x: Uint8Array, offset = 0): boolean {
    if (!Number.isInteger(offset) || offset < 0 || offset + COMPARE_BYTES > x.length) throw new RangeError('no 12-byte value at this offset');
    const w0 = wordAt(x, offset);
    const w1 = wordAt(x, offset + 4);
    const w2 = wordAt(x, offset + 8);
    const { words } = this;
    let low = this.starts[w0 >>> 16]!;
    let high = this.starts[(w0 >>> 16) + 1]!;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const at = middle * WIDTH;
      const order = words[at]! !== w0 ? words[at]! - w0 : words[at + 1]! !== w1 ? words[at + 1]! - w1 : words[at + 2]! - w2;
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return false;
  }
}

function prefixStarts(words: Uint32Array, size: number): Uint32Array {
  const starts = new Uint32Array(PREFIX_BUCKETS + 1);
  for (let i = 0; i < size; i += 1) starts[(words[i * WIDTH]! >>> 16) + 1]! += 1;
  for (let p = 1; p <= PREFIX_BUCKETS; p += 1) starts[p]! += starts[p - 1]!;
  return starts;
}

/** Indices (ascending) of my truncated values that are in `theirs`; every copy of a duplicate counts. */
export function matchIndices(mine: Uint8Array, theirs: TruncatedSet): Uint32Array {
  checkTruncated(mine);
  const count = mine.length / COMPARE_BYTES;
  const found = new Uint32Array(count);
  let matches = 0;
  for (let i = 0; i < count; i += 1) {
    if (theirs.has(mine, i * COMPARE_BYTES)) found[matches++] = i;
  }
  return found.slice(0, matches);
}
