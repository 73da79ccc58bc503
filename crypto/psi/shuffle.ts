/**
 * A uniformly random permutation of packed elements, applied before a party sends its blinded set
 * (as Optable's dhpsi does) so that the order on the wire says nothing about the order of its rows.
 * Fisher–Yates driven by node:crypto randomness, drawn in batches; each index comes from rejection
 * sampling on 32-bit values, so no position is even slightly more likely than another.
 * Known weakness: at most 2^32 − 1 elements, far above any frame stream we send.
 */
import { randomFillSync } from 'node:crypto';

const RANDOM_BATCH = 16_384;

/** Unbiased integers in [0, bound) from a batched stream of 32-bit random words. */
function uniformIntegers(): (bound: number) => number {
  const pool = new Uint32Array(RANDOM_BATCH);
  let next = pool.length;
  const word = (): number => {
    if (next === pool.length) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++]!;
  };
  return (bound) => {
    // Values at or above the largest multiple of `bound` below 2^32 would favour small results.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % bound);
    for (;;) {
      const value = word();
      if (value < limit) return value % bound;
    }
  };
}

/** `permutation[i]` is the original index of the element now at position i. */
export function shufflePacked(packed: Uint8Array, elementBytes: number): { shuffled: Uint8Array; permutation: Uint32Array } {
  if (!Number.isInteger(elementBytes) || elementBytes < 1) throw new RangeError('element bytes must be a positive integer');
  if (packed.length % elementBytes !== 0) throw new RangeError('packed length is not a multiple of the element length');
  const count = packed.length / elementBytes;
  if (count > 0xffff_ffff) throw new RangeError('too many elements to shuffle');

  const permutation = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) permutation[i] = i;
  const below = uniformIntegers();
  for (let i = count - 1; i > 0; i -= 1) {
    const j = below(i + 1);
    const held = permutation[i]!;
    permutation[i] = permutation[j]!;
    permutation[j] = held;
  }

  const shuffled = new Uint8Array(packed.length);
  for (let i = 0; i < count; i += 1) {
    const from = permutation[i]! * elementBytes;
    shuffled.set(packed.subarray(from, from + elementBytes), i * elementBytes);
  }
  return { shuffled, permutation };
}
