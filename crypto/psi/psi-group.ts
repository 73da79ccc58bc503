/**
 * What every PSI suite implementation offers the engine: bulk group operations over packed
 * n×32-byte arrays, output in input order. Implementations are synchronous and single-threaded;
 * the engine (psi-engine.ts) spreads them over worker threads.
 * Contract: every incoming element is validated, and the first invalid one throws PsiPointError
 * with its index; nothing partial is returned.
 */
import { ELEMENT_BYTES, MAX_DST_BYTES, type PsiSuite } from './suites.ts';

export interface PsiGroup {
  readonly suite: PsiSuite;
  /** A fresh secret key (32 bytes) from the implementation's CSPRNG. */
  newKey(): Uint8Array;
  /** Throws RangeError unless `key` is a usable secret key of this suite. */
  checkKey(key: Uint8Array): void;
  /** H(digest)^key for each 32-byte digest, H being the suite's hash-to-group under `dst`. */
  hashAndBlind(digests: Uint8Array, dst: Uint8Array, key: Uint8Array): Uint8Array;
  /** element^key for each incoming element, after validating it. */
  reblind(elements: Uint8Array, key: Uint8Array): Uint8Array;
  /** element^(1/key); only suites with invertible scalars (ristretto255) support it. */
  unblind(elements: Uint8Array, key: Uint8Array): Uint8Array;
  /**
   * The group sum of the elements (one encoded element; the identity, all zeros, for none). Each is
   * validated, the identity refused unless `partialSums` (sums of validated elements, which may
   * cancel out). Only suites with a group law on their encodings (ristretto255) support it.
   */
  sum(elements: Uint8Array, partialSums?: boolean): Uint8Array;
}

/** Number of 32-byte items in a packed array; refuses lengths that are not a multiple of 32. */
export function packedCount(packed: Uint8Array, what: string): number {
  if (packed.length % ELEMENT_BYTES !== 0) {
    throw new RangeError(`${what} must be packed ${ELEMENT_BYTES}-byte items; got ${packed.length} bytes`);
  }
  return packed.length / ELEMENT_BYTES;
}

export function checkDst(dst: Uint8Array): void {
  if (dst.length === 0 || dst.length > MAX_DST_BYTES) {
    throw new RangeError(`domain-separation tag must be 1..${MAX_DST_BYTES} bytes`);
  }
}

export function itemAt(packed: Uint8Array, index: number): Uint8Array {
  return packed.subarray(index * ELEMENT_BYTES, (index + 1) * ELEMENT_BYTES);
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const byte of bytes) acc |= byte;
  return acc === 0;
}

const unsupported = {
  unblind: "X25519 clamps every scalar it is given, so a key's inverse cannot be applied",
  sum: 'X25519 works on u-coordinates alone, which have no addition',
} as const;

/** An operation the suite cannot do by construction: unblinding or summing under x25519-elligator2. */
export class PsiUnsupportedError extends Error {
  readonly code = 'ACCORD_ERR_PSI_UNSUPPORTED';
  constructor(suite: PsiSuite, operation: keyof typeof unsupported = 'unblind') {
    super(`${suite} cannot ${operation}: ${unsupported[operation]}; use ristretto255`);
    this.name = 'PsiUnsupportedError';
  }
}
