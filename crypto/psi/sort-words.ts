/**
 * Sorting of records made of `width` 32-bit words (big-endian prefixes of truncated elements, GCS
 * hash values) by an LSD radix sort on 16-bit digits: linear time whatever the input, so a peer
 * cannot choose values that make our side slow, and no per-record objects.
 */

const DIGIT_BITS = 16;
const BUCKETS = 1 << DIGIT_BITS;

/** Record indices in ascending lexicographic order of their words (stable: equal records keep input order). */
export function sortIndicesByWords(words: Uint32Array, width: number): Uint32Array {
  if (!Number.isInteger(width) || width < 1 || words.length % width !== 0) throw new RangeError('words must hold whole records');
  const count = words.length / width;
  let order = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) order[i] = i;
  let spare = new Uint32Array(count);
  const histogram = new Uint32Array(BUCKETS);
  for (let word = width - 1; word >= 0; word -= 1) {
    for (let shift = 0; shift < 32; shift += DIGIT_BITS) {
      if (scatterByDigit(words, width, word, shift, order, spare, histogram)) [order, spare] = [spare, order];
    }
  }
  return order;
}

/** One counting-sort pass; false (and nothing moved) when every record has the same digit. */
function scatterByDigit(
  words: Uint32Array,
  width: number,
  word: number,
  shift: number,
  from: Uint32Array,
  to: Uint32Array,
  histogram: Uint32Array,
): boolean {
  histogram.fill(0);
  const mask = BUCKETS - 1;
  for (let i = 0; i < from.length; i += 1) histogram[(words[from[i]! * width + word]! >>> shift) & mask]! += 1;
  if (from.length === 0 || histogram.includes(from.length)) return false;
  let position = 0;
  for (let digit = 0; digit < BUCKETS; digit += 1) {
    const size = histogram[digit]!;
    histogram[digit] = position;
    position += size;
  }
  for (let i = 0; i < from.length; i += 1) {
    const record = from[i]!;
    const digit = (words[record * width + word]! >>> shift) & mask;
    to[histogram[digit]!] = record;
    histogram[digit]! += 1;
  }
  return true;
}

/** -1, 0 or 1 comparing record `a` of `left` with record `b` of `right` (both `width` words per record). */
export function compareRecords(left: Uint32Array, a: number, right: Uint32Array, b: number, width: number): number {
  for (let w = 0; w < width; w += 1) {
    const x = left[a * width + w]!;
    const y = right[b * width + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
