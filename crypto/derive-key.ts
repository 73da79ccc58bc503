/**
 * Key derivation, HKDF-SHA256 (RFC 5869) from @noble/hashes: one root secret (the node's master
 * key) yields independent keys per use, named by `info` (for example the subject vault's key for
 * one tenant). Guarantee: keys for different `info` strings reveal nothing about each other or the
 * root. Known weakness: none for a uniformly random 32-byte root; a low-entropy root stays weak.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

export const DERIVED_KEY_BYTES = 32;

export function deriveKey(root: Uint8Array, info: string, salt?: Uint8Array, length = DERIVED_KEY_BYTES): Uint8Array {
  if (root.length < 16) throw new RangeError('root key must be at least 16 bytes');
  return hkdf(sha256, root, salt, new TextEncoder().encode(info), length);
}
