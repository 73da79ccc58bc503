/**
 * Ed25519 signatures (RFC 8032) for node identity and signed protocol messages.
 * Implementation: @noble/curves (audited). Verification is strict RFC 8032 (no ZIP-215 leniency)
 * and rejects small-order and non-canonical public keys up front.
 * Known weakness: none specific; secret keys live in JS memory and cannot be reliably wiped.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SECRET_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface SigningKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateSigningKeyPair(seed?: Uint8Array): SigningKeyPair {
  if (seed !== undefined && seed.length !== ED25519_SECRET_KEY_BYTES) {
    throw new RangeError(`Ed25519 seed must be ${ED25519_SECRET_KEY_BYTES} bytes`);
  }
  const { secretKey, publicKey } = ed25519.keygen(seed);
  return { secretKey, publicKey };
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== ED25519_SECRET_KEY_BYTES) {
    throw new RangeError(`Ed25519 secret key must be ${ED25519_SECRET_KEY_BYTES} bytes`);
  }
  return ed25519.getPublicKey(secretKey);
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== ED25519_SECRET_KEY_BYTES) {
    throw new RangeError(`Ed25519 secret key must be ${ED25519_SECRET_KEY_BYTES} bytes`);
  }
  return ed25519.sign(message, secretKey);
}

/** A usable peer key: 32 bytes, a canonical encoding of a point outside the small-order subgroup. */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) return false;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    return !point.isSmallOrder();
  } catch {
    return false;
  }
}

/** False for any malformed input; never throws on attacker-controlled bytes. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES || !isValidPublicKey(publicKey)) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
