/**
 * The x25519-elligator2 PSI suite on native libsodium (sodium-native): the fast lane, offered only
 * when both ends run Accord, since no other PSI system speaks it.
 * Hash: expand_message_xmd(digest, DST, 32 bytes, SHA-512) → crypto_core_ed25519_from_uniform
 * (Elligator 2 onto edwards25519, cofactor cleared, so the point is in the prime-order subgroup) →
 * crypto_sign_ed25519_pk_to_curve25519 (its Montgomery u). Blind and reblind are X25519
 * crypto_scalarmult with the party's 32-byte key, which X25519 clamps; clamped scalars still
 * commute, so H(x)^ab == H(x)^ba.
 * Design choice: native X25519 is a hand-tuned ladder about 5× faster than ristretto255 in WASM,
 * and the one-map (32-byte, "encode_to_curve"-style) hash is 1.7× cheaper than summing two maps;
 * the price is an x-only, clamped, non-standard construction.
 * Known weaknesses: (1) the hash is a nonuniform encoding: it reaches about half of the subgroup,
 * which the blinding key hides but which is not RFC 9380's random-oracle construction; (2) X25519
 * cannot invert a clamped key, so this suite cannot unblind (no OPRF or unbalanced mode), and
 * u-coordinates have no addition, so it cannot sum (no count-only runs, whose returned set the
 * server checks by a sum);
 * (3) reblind checks that u is canonical (< p) and lets libsodium refuse low-order inputs, but does
 * not check that u lies on the curve rather than its twist: X25519 is twist-secure, so a peer that
 * sends a twist point learns nothing about the key, it only spoils its own results.
 */
import { createRequire } from 'node:module';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import type { CHash } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { type PsiGroup, PsiUnsupportedError, checkDst, isAllZero, itemAt, packedCount } from './psi-group.ts';
import { PsiPointError } from './psi-point-error.ts';
import { ELEMENT_BYTES } from './suites.ts';

/** The part of sodium-native (which ships no types) that this suite uses; each call throws on failure. */
interface SodiumNative {
  crypto_hash_sha512(out: Uint8Array, message: Uint8Array): void;
  crypto_core_ed25519_from_uniform(point: Uint8Array, uniform: Uint8Array): void;
  crypto_sign_ed25519_pk_to_curve25519(u: Uint8Array, edwards: Uint8Array): void;
  crypto_scalarmult(out: Uint8Array, scalar: Uint8Array, u: Uint8Array): void;
  randombytes_buf(out: Uint8Array): void;
}

const native = createRequire(import.meta.url)('sodium-native') as SodiumNative;

const nativeSha512 = Object.assign(
  (message: Uint8Array) => {
    const digest = new Uint8Array(sha512.outputLen);
    native.crypto_hash_sha512(digest, message);
    return digest;
  },
  { blockLen: sha512.blockLen, outputLen: sha512.outputLen, canXOF: false, create: sha512.create },
) as unknown as CHash;

/** The Montgomery u-coordinate our hash gives `message` under `dst`. */
export function hashToX25519(message: Uint8Array, dst: Uint8Array): Uint8Array {
  checkDst(dst);
  const edwards = new Uint8Array(ELEMENT_BYTES);
  native.crypto_core_ed25519_from_uniform(edwards, expand_message_xmd(message, dst, ELEMENT_BYTES, nativeSha512));
  const u = new Uint8Array(ELEMENT_BYTES);
  native.crypto_sign_ed25519_pk_to_curve25519(u, edwards);
  return u;
}

/** u < p = 2^255 − 19, little-endian: X25519 itself would silently reduce anything larger. */
export function isCanonicalU(u: Uint8Array): boolean {
  if (u[31]! < 0x7f) return true;
  if (u[31]! > 0x7f) return false;
  for (let i = 30; i > 0; i--) if (u[i] !== 0xff) return true;
  return u[0]! < 0xed;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== ELEMENT_BYTES) throw new RangeError(`x25519 key must be ${ELEMENT_BYTES} bytes`);
  // All zeros is what destroy() leaves behind; refusing it catches use after destroy.
  if (isAllZero(key)) throw new RangeError('x25519 key is zero');
}

function multiply(key: Uint8Array, u: Uint8Array, out: Uint8Array, index: number): void {
  try {
    native.crypto_scalarmult(out, key, u);
  } catch {
    throw new PsiPointError(index, 'a low-order point');
  }
}

export const sodiumX25519: PsiGroup = Object.freeze({
  suite: 'x25519-elligator2' as const,
  newKey(): Uint8Array {
    const key = new Uint8Array(ELEMENT_BYTES);
    do native.randombytes_buf(key);
    while (isAllZero(key));
    return key;
  },
  checkKey,
  hashAndBlind(digests: Uint8Array, dst: Uint8Array, key: Uint8Array): Uint8Array {
    checkKey(key);
    checkDst(dst);
    const count = packedCount(digests, 'digests');
    const out = new Uint8Array(count * ELEMENT_BYTES);
    for (let i = 0; i < count; i++) {
      multiply(key, hashToX25519(itemAt(digests, i), dst), out.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES), i);
    }
    return out;
  },
  reblind(elements: Uint8Array, key: Uint8Array): Uint8Array {
    checkKey(key);
    const count = packedCount(elements, 'elements');
    const out = new Uint8Array(count * ELEMENT_BYTES);
    for (let i = 0; i < count; i++) {
      const u = itemAt(elements, i);
      if (isAllZero(u)) throw new PsiPointError(i, 'the all-zero (low-order) point');
      if (!isCanonicalU(u)) throw new PsiPointError(i, 'u is not canonical (≥ p or top bit set)');
      multiply(key, u, out.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES), i);
    }
    return out;
  },
  unblind(): Uint8Array {
    throw new PsiUnsupportedError('x25519-elligator2');
  },
  sum(): Uint8Array {
    throw new PsiUnsupportedError('x25519-elligator2', 'sum');
  },
});
