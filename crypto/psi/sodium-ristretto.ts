/**
 * ristretto255 PSI operations on libsodium (libsodium-wrappers-sumo, WASM): the bulk engine,
 * byte-identical to ristretto-reference.ts (checked by the cross-implementation tests).
 * Hash: RFC 9380 hash_to_ristretto255, i.e. expand_message_xmd (noble's, fed libsodium's SHA-512,
 * which measured 9.5 µs against 16 µs with noble's SHA-512) to 64 bytes, then
 * crypto_core_ristretto255_from_hash (the RFC 9496 one-way map); then crypto_scalarmult_ristretto255.
 * Sums use crypto_core_ristretto255_add.
 * Guarantee: every incoming element must be a canonical encoding of a non-identity group element.
 * Known weakness: scalars pass through JS and WASM memory, which cannot be reliably wiped.
 */
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import type { CHash } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import sodium from 'libsodium-wrappers-sumo';
import { type PsiGroup, checkDst, isAllZero, itemAt, packedCount } from './psi-group.ts';
import { PsiPointError } from './psi-point-error.ts';
import { ELEMENT_BYTES } from './suites.ts';

const UNIFORM_BYTES = 64;

/** libsodium's SHA-512 in the shape noble's expand_message_xmd expects (it only calls the hash). */
const sodiumSha512 = Object.assign((message: Uint8Array) => sodium.crypto_hash_sha512(message), {
  blockLen: sha512.blockLen,
  outputLen: sha512.outputLen,
  canXOF: false,
  create: sha512.create,
}) as unknown as CHash;

/** RFC 9380 hash_to_ristretto255 of any message under `dst`, encoded. */
export function hashToRistretto255(message: Uint8Array, dst: Uint8Array): Uint8Array {
  checkDst(dst);
  return sodium.crypto_core_ristretto255_from_hash(expand_message_xmd(message, dst, UNIFORM_BYTES, sodiumSha512));
}

function checkKey(key: Uint8Array): void {
  if (key.length !== ELEMENT_BYTES) throw new RangeError(`ristretto255 key must be ${ELEMENT_BYTES} bytes`);
  if (isAllZero(key)) throw new RangeError('ristretto255 key is zero');
  // A canonical scalar is its own reduction; libsodium would silently reduce anything else.
  const wide = new Uint8Array(UNIFORM_BYTES);
  wide.set(key);
  if (!sodium.memcmp(sodium.crypto_core_ristretto255_scalar_reduce(wide), key)) {
    throw new RangeError('ristretto255 key is not a canonical scalar');
  }
}

function checkElement(element: Uint8Array, index: number): void {
  // is_valid_point rejects non-canonical encodings but accepts the identity (all zeros).
  if (isAllZero(element)) throw new PsiPointError(index, 'the identity element');
  if (!sodium.crypto_core_ristretto255_is_valid_point(element)) {
    throw new PsiPointError(index, 'not a canonical ristretto255 encoding');
  }
}

function multiplyAll(elements: Uint8Array, scalar: Uint8Array): Uint8Array {
  const count = packedCount(elements, 'elements');
  const out = new Uint8Array(count * ELEMENT_BYTES);
  for (let i = 0; i < count; i++) {
    const element = itemAt(elements, i);
    checkElement(element, i);
    out.set(sodium.crypto_scalarmult_ristretto255(scalar, element), i * ELEMENT_BYTES);
  }
  return out;
}

function sumAll(elements: Uint8Array, partialSums = false): Uint8Array {
  const count = packedCount(elements, 'elements');
  let sum: Uint8Array = new Uint8Array(ELEMENT_BYTES);
  for (let i = 0; i < count; i++) {
    const element = itemAt(elements, i);
    if (!partialSums || !isAllZero(element)) checkElement(element, i);
    sum = sodium.crypto_core_ristretto255_add(sum, element);
  }
  return sum;
}

const sodiumRistretto: PsiGroup = Object.freeze({
  suite: 'ristretto255' as const,
  newKey(): Uint8Array {
    for (;;) {
      const key = sodium.crypto_core_ristretto255_scalar_random();
      if (!isAllZero(key)) return key;
    }
  },
  checkKey,
  hashAndBlind(digests: Uint8Array, dst: Uint8Array, key: Uint8Array): Uint8Array {
    checkKey(key);
    checkDst(dst);
    const count = packedCount(digests, 'digests');
    const out = new Uint8Array(count * ELEMENT_BYTES);
    for (let i = 0; i < count; i++) {
      const point = hashToRistretto255(itemAt(digests, i), dst);
      out.set(sodium.crypto_scalarmult_ristretto255(key, point), i * ELEMENT_BYTES);
    }
    return out;
  },
  reblind(elements: Uint8Array, key: Uint8Array): Uint8Array {
    checkKey(key);
    return multiplyAll(elements, key);
  },
  unblind(elements: Uint8Array, key: Uint8Array): Uint8Array {
    checkKey(key);
    return multiplyAll(elements, sodium.crypto_core_ristretto255_scalar_invert(key));
  },
  sum: sumAll,
});

/** libsodium's WASM instance is ready only after an await; callers get the group once it is. */
export async function loadSodiumRistretto(): Promise<PsiGroup> {
  await sodium.ready;
  return sodiumRistretto;
}
