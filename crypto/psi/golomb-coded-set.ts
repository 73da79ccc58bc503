/**
 * A Golomb-coded set (GCS) of short tags, for unbalanced PSI: a server with a large set sends it
 * once, compressed to about log2(1/fpr) + 2 bits per element, and each client tests its own tags
 * against it (reference/psi.md Part 3 point 5; the construction of BIP 158 and OpenMined PSI).
 *
 * Each element is hashed with SHA-256 to a value v = hi·2^k + lo, uniform on the range
 * N = n·2^k: hi = ⌊h·n / 2^64⌋ for the first 64 digest bits h (Lemire's reduction), lo = the next
 * k bits. The sorted values are Golomb–Rice coded with parameter k = ⌈log2(1/fpr)⌉: each gap to the
 * previous value as ⌊gap / 2^k⌋ in unary (ones, then a zero) followed by gap mod 2^k in k bits.
 *
 * `falsePositiveRate` is per query: a non-member tests positive with probability 2^-k ≤ fpr. For a
 * total rate over m client queries, pass total / m. N is kept as a BigInt and values as 32-bit words:
 * OpenMined computed N = n_client·max(n)/fpr in int64, which overflows above ~9.2e18 (fpr 1e-9 at
 * 100k × 100k); here N may reach 2^96 (n < 2^32, k ≤ 64).
 *
 * Serialized: "AGCS" | version u8 | k u8 | n u32 (big-endian) | bit stream, zero-padded to a byte.
 * Known weakness: membership is probabilistic by design; a false positive is a non-member the
 * client takes for a match, so choose fpr well below 1 / (number of queries).
 */
import { hash } from 'node:crypto';
import { sortIndicesByWords } from './sort-words.ts';

export const golombCodedSetErrorCodes = {
  ACCORD_ERR_PSI_GCS_MALFORMED: 'The Golomb-coded set is not well-formed',
  ACCORD_ERR_PSI_GCS_TOO_LARGE: 'The Golomb-coded set holds more elements than allowed',
} as const;

export type GolombCodedSetErrorCode = keyof typeof golombCodedSetErrorCodes;

export class GolombCodedSetError extends Error {
  constructor(
    readonly code: GolombCodedSetErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'GolombCodedSetError';
  }
}

const MAGIC = Uint8Array.from([0x41, 0x47, 0x43, 0x53]); // "AGCS"
const VERSION = 1;
const HEADER_BYTES = 10;
const MAX_RICE_BITS = 64;
const MAX_COUNT = 0xffff_ffff;
const TWO_32 = 0x1_0000_0000;
/** Values are records of three words: hi, then the upper and lower 32 bits of lo. */
const WIDTH = 3;

const malformed = (detail: string): never => {
  throw new GolombCodedSetError('ACCORD_ERR_PSI_GCS_MALFORMED', detail);
};

export function riceBitsFor(falsePositiveRate: number): number {
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new RangeError('false positive rate must be between 0 and 1');
  // The small allowance keeps an exact power of two (2^-10) from rounding up to 11 bits.
  const bits = Math.max(1, Math.ceil(-Math.log2(falsePositiveRate) - 1e-9));
  if (bits > MAX_RICE_BITS) throw new RangeError(`false positive rate below 2^-${MAX_RICE_BITS} is not supported`);
  return bits;
}

/** ⌊x·y / 2^32⌋ exactly, for 32-bit x and y, in double arithmetic. */
function mulHigh32(x: number, y: number): number {
  const t = x * (y & 0xffff);
  const u = x * (y >>> 16);
  const uLow = u % 0x1_0000;
  return (u - uLow) / 0x1_0000 + Math.floor((uLow * 0x1_0000 + t) / TWO_32);
}

/** ⌊(a·2^32 + b)·n / 2^64⌋: a 64-bit hash reduced onto [0, n) without 64-bit integers. */
export function reduceToRange(a: number, b: number, n: number): number {
  const aTimesNLow = Math.imul(a, n) >>> 0;
  return mulHigh32(a, n) + (aTimesNLow + mulHigh32(b, n) >= TWO_32 ? 1 : 0);
}

function wordAt(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

function countOf(packed: Uint8Array, elementBytes: number): number {
  if (!Number.isInteger(elementBytes) || elementBytes < 1) throw new RangeError('element bytes must be a positive integer');
  if (packed.length % elementBytes !== 0) throw new RangeError('packed length is not a multiple of the element length');
  return packed.length / elementBytes;
}

/** Hashes packed elements into `WIDTH` words each: hi, lo upper, lo lower. */
function hashValues(packed: Uint8Array, elementBytes: number, n: number, riceBits: number): Uint32Array {
  const count = countOf(packed, elementBytes);
  const lowMask = riceBits >= 32 ? 0xffff_ffff : 0xffff_ffff >>> (32 - riceBits);
  const highMask = riceBits > 32 ? 0xffff_ffff >>> (64 - riceBits) : 0;
  const words = new Uint32Array(count * WIDTH);
  for (let i = 0; i < count; i += 1) {
    const digest = hash('sha256', packed.subarray(i * elementBytes, (i + 1) * elementBytes), 'buffer');
    words[i * WIDTH] = reduceToRange(wordAt(digest, 0), wordAt(digest, 4), n);
    words[i * WIDTH + 1] = (wordAt(digest, 8) & highMask) >>> 0;
    words[i * WIDTH + 2] = (wordAt(digest, 12) & lowMask) >>> 0;
  }
  return words;
}

class BitWriter {
  private bytes: Uint8Array;
  private bit = 0;

  constructor(expectedBits: number) {
    this.bytes = new Uint8Array(Math.ceil(expectedBits / 8) + 8);
  }

  /** Up to 32 bits, most significant first. */
  write(value: number, count: number): void {
    if (Math.floor((this.bit + count) / 8) >= this.bytes.length) this.grow();
    while (count > 0) {
      const free = 8 - (this.bit & 7);
      const take = Math.min(free, count);
      const chunk = Math.floor(value / 2 ** (count - take)) & ((1 << take) - 1);
      this.bytes[Math.floor(this.bit / 8)]! |= chunk << (free - take);
      this.bit += take;
      count -= take;
    }
  }

  writeUnary(quotient: number): void {
    for (let left = quotient; left > 0; left -= 24) this.write(0xff_ffff >>> (24 - Math.min(24, left)), Math.min(24, left));
    this.write(0, 1);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, Math.ceil(this.bit / 8));
  }

  private grow(): void {
    const bigger = new Uint8Array(this.bytes.length * 2 + 8);
    bigger.set(this.bytes);
    this.bytes = bigger;
  }
}

class BitReader {
  private bit = 0;
  private readonly end: number;

  constructor(private readonly bytes: Uint8Array) {
    this.end = bytes.length * 8;
  }

  read(count: number): number {
    if (this.bit + count > this.end) malformed('bit stream ends early');
    let value = 0;
    while (count > 0) {
      const used = this.bit & 7;
      const take = Math.min(8 - used, count);
      const chunk = (this.bytes[Math.floor(this.bit / 8)]! >>> (8 - used - take)) & ((1 << take) - 1);
      value = value * (1 << take) + chunk;
      this.bit += take;
      count -= take;
    }
    return value;
  }

  /** A unary quotient, refused once it exceeds `limit` so a run of ones cannot spin. */
  readUnary(limit: number): number {
    let quotient = 0;
    while (this.read(1) === 1) {
      quotient += 1;
      if (quotient > limit) malformed('gap beyond the end of the range');
    }
    return quotient;
  }

  /** Only zero padding may follow the last value. */
  checkEnd(): void {
    if (this.end - this.bit >= 8) malformed('bytes after the last value');
    if (this.end > this.bit && this.read(this.end - this.bit) !== 0) malformed('padding bits are not zero');
  }
}

function writeRemainder(writer: BitWriter, high: number, low: number, riceBits: number): void {
  if (riceBits > 32) writer.write(high, riceBits - 32);
  writer.write(low, Math.min(riceBits, 32));
}

/**
 * Visits the set's values in ascending order; `visit` returns false to stop early. Also the one
 * place that validates a stream: every value inside the range, and nothing after the last.
 */
function walkValues(stream: Uint8Array, count: number, riceBits: number, visit: (hi: number, loHigh: number, loLow: number) => boolean): void {
  const reader = new BitReader(stream);
  const highLimit = riceBits > 32 ? 2 ** (riceBits - 32) : 1;
  let hi = 0;
  let loHigh = 0;
  let loLow = 0;
  for (let i = 0; i < count; i += 1) {
    const quotient = reader.readUnary(count);
    const remainderHigh = riceBits > 32 ? reader.read(riceBits - 32) : 0;
    const remainderLow = reader.read(Math.min(riceBits, 32));
    // lo + remainder, carrying into hi at bit k.
    let low = loLow + remainderLow;
    let high = loHigh + remainderHigh;
    if (riceBits > 32) {
      if (low >= TWO_32) {
        low -= TWO_32;
        high += 1;
      }
    } else {
      high = low >= 2 ** riceBits ? 1 : 0;
      low -= high * 2 ** riceBits;
    }
    const carry = high >= highLimit ? 1 : 0;
    loHigh = riceBits > 32 ? high - carry * highLimit : 0;
    loLow = low;
    hi += quotient + carry;
    if (hi >= count) malformed('value beyond the end of the range');
    if (!visit(hi, loHigh, loLow)) return;
  }
  reader.checkEnd();
}

export class GolombCodedSet {
  private constructor(
    /** n: the number of elements, which is also the modulus for hi. */
    readonly count: number,
    /** k: the Golomb–Rice parameter; the false positive rate per query is 2^-k. */
    readonly riceBits: number,
    private readonly stream: Uint8Array,
  ) {}

  static build(packed: Uint8Array, elementBytes: number, options: { falsePositiveRate: number }): GolombCodedSet {
    const riceBits = riceBitsFor(options.falsePositiveRate);
    const count = countOf(packed, elementBytes);
    if (count > MAX_COUNT) throw new RangeError('too many elements for one Golomb-coded set');
    const values = hashValues(packed, elementBytes, count, riceBits);
    const order = sortIndicesByWords(values, WIDTH);
    const writer = new BitWriter(count * (riceBits + 2));
    let [previousHi, previousLoHigh, previousLoLow] = [0, 0, 0];
    for (const record of order) {
      const hi = values[record * WIDTH]!;
      const loHigh = values[record * WIDTH + 1]!;
      const loLow = values[record * WIDTH + 2]!;
      // (lo − previous lo) mod 2^k, borrowing from hi when lo went down.
      let low = loLow - previousLoLow;
      let high = loHigh - previousLoHigh;
      if (low < 0) {
        low += TWO_32;
        high -= 1;
      }
      const borrow = high < 0 ? 1 : 0;
      if (riceBits > 32) {
        high += borrow * 2 ** (riceBits - 32);
      } else {
        low += borrow * (2 ** riceBits - TWO_32);
        high = 0;
      }
      writer.writeUnary(hi - previousHi - borrow);
      writeRemainder(writer, high, low, riceBits);
      [previousHi, previousLoHigh, previousLoLow] = [hi, loHigh, loLow];
    }
    return new GolombCodedSet(count, riceBits, writer.finish());
  }

  /** Parses and fully validates a serialized set; `maxCount` bounds the work a sender can ask of us. */
  static decode(bytes: Uint8Array, options: { maxCount: number }): GolombCodedSet {
    if (bytes.length < HEADER_BYTES) malformed('shorter than its header');
    if (!MAGIC.every((byte, i) => bytes[i] === byte)) malformed('not an Accord Golomb-coded set (magic)');
    if (bytes[4] !== VERSION) malformed(`unsupported version ${bytes[4]}`);
    const riceBits = bytes[5]!;
    if (riceBits < 1 || riceBits > MAX_RICE_BITS) malformed(`Rice parameter ${riceBits} out of range`);
    const count = wordAt(bytes, 6);
    if (count > options.maxCount) {
      throw new GolombCodedSetError('ACCORD_ERR_PSI_GCS_TOO_LARGE', `set holds ${count} elements; at most ${options.maxCount} allowed`);
    }
    const stream = bytes.slice(HEADER_BYTES);
    if (stream.length * 8 < count * (riceBits + 1)) malformed('bit stream too short for its element count');
    walkValues(stream, count, riceBits, () => true);
    return new GolombCodedSet(count, riceBits, stream);
  }

  encode(): Uint8Array {
    const bytes = new Uint8Array(HEADER_BYTES + this.stream.length);
    bytes.set(MAGIC, 0);
    bytes[4] = VERSION;
    bytes[5] = this.riceBits;
    new DataView(bytes.buffer).setUint32(6, this.count);
    bytes.set(this.stream, HEADER_BYTES);
    return bytes;
  }

  /** N = n·2^k, the range the hashed values are spread over; may exceed 2^64. */
  get range(): bigint {
    return BigInt(this.count) << BigInt(this.riceBits);
  }

  /** One query walks the whole set; use matchIndices for many. */
  has(element: Uint8Array): boolean {
    return this.matchIndices(element, element.length).length === 1;
  }

  /**
   * Indices (ascending) of the packed queries that test positive. The queries are sorted and the set
   * is walked once, so a million lookups cost one decode plus a sort.
   */
  matchIndices(queries: Uint8Array, elementBytes: number): Uint32Array {
    const wanted = hashValues(queries, elementBytes, this.count, this.riceBits);
    const queryCount = wanted.length / WIDTH;
    if (this.count === 0 || queryCount === 0) return new Uint32Array(0);
    const order = sortIndicesByWords(wanted, WIDTH);
    const positive = new Uint8Array(queryCount);
    let next = 0;
    walkValues(this.stream, this.count, this.riceBits, (hi, loHigh, loLow) => {
      // Skip queries below this member; mark those equal to it.
      while (next < queryCount) {
        const at = order[next]! * WIDTH;
        const comparison = wanted[at]! - hi || wanted[at + 1]! - loHigh || wanted[at + 2]! - loLow;
        if (comparison > 0) break;
        if (comparison === 0) positive[order[next]!] = 1;
        next += 1;
      }
      return next < queryCount;
    });
    const found = new Uint32Array(queryCount);
    let matches = 0;
    for (let i = 0; i < queryCount; i += 1) if (positive[i] === 1) found[matches++] = i;
    return found.slice(0, matches);
  }
}
