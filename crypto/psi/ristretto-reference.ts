/**
 * ristretto255 PSI operations on @noble/curves: the reference the bulk engine is checked against
 * byte for byte, and the implementation for small jobs. Hashing is RFC 9380 hash_to_ristretto255
 * (expand_message_xmd with SHA-512 to 64 bytes, then the RFC 9496 §4.3.4 one-way map).
 * Guarantee: prime-order group, canonical encodings only; decoding rejects every non-canonical
 * encoding and the identity. Known weakness: about 12× slower than libsodium, and noble documents
 * that its variable-base multiplication by a secret scalar is not blinded against side channels,
 * so long-lived keys belong in the libsodium engine.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { type PsiGroup, checkDst, itemAt, packedCount } from './psi-group.ts';
import { PsiPointError } from './psi-point-error.ts';
import { ELEMENT_BYTES } from './suites.ts';

type RistrettoPoint = InstanceType<typeof ristretto255.Point>;

const Point = ristretto255.Point;
const Fn = Point.Fn;

/** RFC 9380 hash_to_ristretto255 of any message under `dst`. */
export function hashToRistretto255(message: Uint8Array, dst: Uint8Array): RistrettoPoint {
  checkDst(dst);
  return ristretto255_hasher.hashToCurve(message, { DST: dst });
}

/** The scalar a 32-byte little-endian key stands for; refuses non-canonical (≥ ℓ) and zero keys. */
export function scalarFromKey(key: Uint8Array): bigint {
  if (key.length !== ELEMENT_BYTES) throw new RangeError(`ristretto255 key must be ${ELEMENT_BYTES} bytes`);
  let scalar: bigint;
  try {
    scalar = Fn.fromBytes(key);
  } catch {
    throw new RangeError('ristretto255 key is not a canonical scalar');
  }
  if (scalar === 0n) throw new RangeError('ristretto255 key is zero');
  return scalar;
}

export function invertScalar(key: Uint8Array): Uint8Array {
  return Fn.toBytes(Fn.inv(scalarFromKey(key)));
}

/** Decodes one incoming element; `index` only labels the error. */
export function decodeElement(bytes: Uint8Array, index = 0): RistrettoPoint {
  if (bytes.length !== ELEMENT_BYTES) throw new PsiPointError(index, `must be ${ELEMENT_BYTES} bytes`);
  let point: RistrettoPoint;
  try {
    point = Point.fromBytes(bytes);
  } catch {
    throw new PsiPointError(index, 'not a canonical ristretto255 encoding');
  }
  if (point.is0()) throw new PsiPointError(index, 'the identity element');
  return point;
}

export function blind(point: RistrettoPoint, scalar: bigint): Uint8Array {
  return point.multiply(scalar).toBytes();
}

function multiplyAll(elements: Uint8Array, scalar: bigint): Uint8Array {
  const count = packedCount(elements, 'elements');
  const out = new Uint8Array(count * ELEMENT_BYTES);
  for (let i = 0; i < count; i++) out.set(blind(decodeElement(itemAt(elements, i), i), scalar), i * ELEMENT_BYTES);
  return out;
}

export const ristrettoReference: PsiGroup = Object.freeze({
  suite: 'ristretto255' as const,
  newKey(): Uint8Array {
    // 64 random bytes reduced mod ℓ: bias below 2^-250; zero is astronomically unlikely but refused.
    for (;;) {
      const wide = crypto.getRandomValues(new Uint8Array(64));
      const key = Fn.toBytes(Fn.create(bytesToNumberLE(wide)));
      if (Fn.fromBytes(key) !== 0n) return key;
    }
  },
  checkKey(key: Uint8Array): void {
    scalarFromKey(key);
  },
  hashAndBlind(digests: Uint8Array, dst: Uint8Array, key: Uint8Array): Uint8Array {
    checkDst(dst);
    const scalar = scalarFromKey(key);
    const count = packedCount(digests, 'digests');
    const out = new Uint8Array(count * ELEMENT_BYTES);
    for (let i = 0; i < count; i++) out.set(blind(hashToRistretto255(itemAt(digests, i), dst), scalar), i * ELEMENT_BYTES);
    return out;
  },
  reblind: (elements: Uint8Array, key: Uint8Array) => multiplyAll(elements, scalarFromKey(key)),
  unblind: (elements: Uint8Array, key: Uint8Array) => multiplyAll(elements, scalarFromKey(invertScalar(key))),
  sum(elements: Uint8Array, partialSums = false): Uint8Array {
    let sum = Point.ZERO;
    for (let i = 0; i < packedCount(elements, 'elements'); i++) {
      const bytes = itemAt(elements, i);
      sum = sum.add(partialSums && bytes.every((byte) => byte === 0) ? Point.ZERO : decodeElement(bytes, i));
    }
    return sum.toBytes();
  },
});
