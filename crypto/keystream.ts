/**
 * Deterministic pseudorandom bytes for values that must come out the same on a retry (the masks a
 * federated-scoring step adds, the label noise it releases): AES-256-CTR keystream (NIST SP 800-38A)
 * under a key derived with HKDF-SHA256 from a 32-byte secret seed and a label naming the use. One
 * (seed, label) pair gives one stream; different labels give independent streams.
 * Guarantee: without the seed the stream is indistinguishable from random (AES as a PRF).
 * Known weakness: a stream is bounded at 2^64 blocks and nothing stops a caller from reusing a label
 * for two different purposes; the label must name the use exactly.
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import { deriveKey } from './derive-key.ts';

export const KEYSTREAM_SEED_BYTES = 32;
const ZERO_IV = new Uint8Array(16);

export interface Keystream {
  /** Fills `out` with the next bytes of the stream (bytes already buffered for uint53 are skipped). */
  fill(out: Uint8Array): void;
  /** An unbiased integer in [0, 2^53), from the next 8 bytes (top 11 bits dropped). */
  uint53(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  unit(): number;
}

export function keystream(seed: Uint8Array, label: string): Keystream {
  if (seed.length !== KEYSTREAM_SEED_BYTES) throw new RangeError(`keystream seed must be ${KEYSTREAM_SEED_BYTES} bytes`);
  // The key is fresh per label, so a fixed zero IV never repeats a (key, counter) pair.
  const cipher: Cipher = createCipheriv('aes-256-ctr', deriveKey(seed, `accord keystream v1 ${label}`), ZERO_IV);
  const fill = (out: Uint8Array) => {
    out.fill(0);
    out.set(cipher.update(out));
  };
  // Words are served from a buffer: one cipher call per 512 words instead of one per word.
  const words = new Uint8Array(4096);
  const view = new DataView(words.buffer);
  let next = words.length;
  const uint53 = () => {
    if (next === words.length) {
      fill(words);
      next = 0;
    }
    const value = (view.getUint32(next, true) & 0x1f_ffff) * 0x1_0000_0000 + view.getUint32(next + 4, true);
    next += 8;
    return value;
  };
  return { fill, uint53, unit: () => uint53() / 2 ** 53 };
}
