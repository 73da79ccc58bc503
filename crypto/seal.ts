/**
 * Authenticated encryption of secrets at rest (the node's private key, later run secrets) with
 * AES-256-GCM from Node's OpenSSL. Output: 12-byte random nonce ‖ ciphertext ‖ 16-byte tag.
 * `context` is bound as associated data, so a sealed value cannot be moved to another use.
 * Known weakness: random 96-bit nonces limit one key to about 2^32 seals; far beyond our use.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const SEAL_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SealOpenError extends Error {
  readonly code = 'ACCORD_ERR_SEAL_OPEN';
  constructor() {
    super('sealed value cannot be opened: wrong key, wrong context or altered bytes');
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SEAL_KEY_BYTES) throw new RangeError(`seal key must be ${SEAL_KEY_BYTES} bytes`);
}

export function seal(key: Uint8Array, plaintext: Uint8Array, context: Uint8Array, nonce: Uint8Array = randomBytes(NONCE_BYTES)): Uint8Array {
  checkKey(key);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(context);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  const tag = cipher.getAuthTag();
  // Written into one buffer: bulk ingest seals every identifier, and each copy showed in its profile.
  const sealed = Buffer.allocUnsafe(NONCE_BYTES + body.length + tail.length + tag.length);
  sealed.set(nonce, 0);
  sealed.set(body, NONCE_BYTES);
  sealed.set(tail, NONCE_BYTES + body.length);
  sealed.set(tag, NONCE_BYTES + body.length + tail.length);
  return sealed;
}

export function open(key: Uint8Array, sealed: Uint8Array, context: Uint8Array): Uint8Array {
  checkKey(key);
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new SealOpenError();
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(context);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new SealOpenError();
  }
}
