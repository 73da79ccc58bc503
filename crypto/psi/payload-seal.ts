/**
 * PSI with payload: the provider seals each person's tag values under a key only a party holding
 * the same double-blinded group element can derive, so the receiver opens the payloads of its
 * matches and nothing else. Key = HKDF-SHA256(element, info = purpose ‖ collaboration id ‖ run id),
 * cipher AES-256-GCM with a random nonce and the same info as associated data. Every plaintext is
 * padded (ISO/IEC 7816-4: 0x80 then zeros) to one fixed length, so ciphertext sizes say nothing
 * about how many values a person has. A 16-byte lookup tag from the same element under another
 * info lets the receiver find its payload without trying every key.
 * Known weakness: the element is the only secret; whoever learns H(x)^ab for a person (for
 * example a party to the run) can open that person's payload in this run, by design.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ELEMENT_BYTES } from './suites.ts';
import { uuidToBytes } from './uuid-bytes.ts';

export const PAYLOAD_ELEMENT_BYTES = ELEMENT_BYTES;
export const PAYLOAD_TAG_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const AUTH_TAG_BYTES = 16;
/** Keeps a sealed payload within one frame element (u16 element length). */
export const MAX_PADDED_PAYLOAD_BYTES = 0xffff - NONCE_BYTES - AUTH_TAG_BYTES;
const PAD_MARKER = 0x80;

export interface PayloadContext {
  readonly collaborationId: string;
  readonly runId: string;
}

export class PayloadSealError extends Error {
  readonly code = 'ACCORD_ERR_PSI_PAYLOAD_MALFORMED';
  constructor(detail: string) {
    super(detail);
    this.name = 'PayloadSealError';
  }
}

/** Bytes of every sealed payload for this padded length: nonce ‖ ciphertext ‖ GCM tag. */
export function sealedPayloadBytes(paddedLength: number): number {
  return NONCE_BYTES + paddedLength + AUTH_TAG_BYTES;
}

function infoFor(purpose: string, context: PayloadContext): Buffer {
  return Buffer.concat([Buffer.from(purpose, 'ascii'), uuidToBytes(context.collaborationId), uuidToBytes(context.runId)]);
}

function checkElement(element: Uint8Array): void {
  if (element.length !== PAYLOAD_ELEMENT_BYTES) throw new RangeError(`a payload element is ${PAYLOAD_ELEMENT_BYTES} bytes`);
  // An all-zero element is no secret; a key derived from it would be public.
  if (element.every((byte) => byte === 0)) throw new RangeError('a payload element must not be all zeros');
}

function derive(element: Uint8Array, info: Uint8Array, length: number): Buffer {
  checkElement(element);
  return Buffer.from(hkdfSync('sha256', element, new Uint8Array(0), info, length));
}

const KEY_PURPOSE = 'ACCORD-PSI-v1-payload-key';
const TAG_PURPOSE = 'ACCORD-PSI-v1-payload-tag';

export function payloadTag(element: Uint8Array, context: PayloadContext): Uint8Array {
  return derive(element, infoFor(TAG_PURPOSE, context), PAYLOAD_TAG_BYTES);
}

export function sealPayload(element: Uint8Array, plaintext: Uint8Array, options: { paddedLength: number; context: PayloadContext }): Uint8Array {
  const { paddedLength, context } = options;
  if (!Number.isInteger(paddedLength) || paddedLength < 1 || paddedLength > MAX_PADDED_PAYLOAD_BYTES) {
    throw new RangeError(`padded length must be 1 to ${MAX_PADDED_PAYLOAD_BYTES}`);
  }
  if (plaintext.length >= paddedLength) throw new RangeError(`payload of ${plaintext.length} bytes does not fit a padded length of ${paddedLength}`);
  const padded = new Uint8Array(paddedLength);
  padded.set(plaintext);
  padded[plaintext.length] = PAD_MARKER;

  const info = infoFor(KEY_PURPOSE, context);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', derive(element, info, KEY_BYTES), nonce);
  cipher.setAAD(info);
  return Buffer.concat([nonce, cipher.update(padded), cipher.final(), cipher.getAuthTag()]);
}

/**
 * The plaintext when `element` opens `sealed`; undefined when it does not (a non-match, or bytes
 * altered in transit). Throws PayloadSealError for input that cannot be a sealed payload at all.
 */
export function openPayload(element: Uint8Array, sealed: Uint8Array, context: PayloadContext): Uint8Array | undefined {
  if (sealed.length < sealedPayloadBytes(1)) throw new PayloadSealError(`a sealed payload is at least ${sealedPayloadBytes(1)} bytes`);
  const info = infoFor(KEY_PURPOSE, context);
  const decipher = createDecipheriv('aes-256-gcm', derive(element, info, KEY_BYTES), sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(info);
  decipher.setAuthTag(sealed.subarray(sealed.length - AUTH_TAG_BYTES));
  let padded: Buffer;
  try {
    padded = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - AUTH_TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
  const marker = padded.lastIndexOf(PAD_MARKER);
  if (marker < 0 || padded.subarray(marker + 1).some((byte) => byte !== 0)) throw new PayloadSealError('payload padding is malformed');
  return new Uint8Array(padded.subarray(0, marker));
}
