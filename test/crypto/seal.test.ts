import { describe, expect, it } from 'vitest';
import { open, seal, SealOpenError } from '../../crypto/seal.ts';

const zeros = (n: number) => new Uint8Array(n);
const context = new TextEncoder().encode('test/context');

describe('seal (AES-256-GCM)', () => {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13 and 14 (AES-256, zero key and IV).
  it('matches the GCM specification vectors', () => {
    const empty = seal(zeros(32), zeros(0), zeros(0), zeros(12));
    expect(Buffer.from(empty.subarray(12)).toString('hex')).toBe('530f8afbc74536b9a963b4f1c4cb738b');
    const block = seal(zeros(32), zeros(16), zeros(0), zeros(12));
    expect(Buffer.from(block.subarray(12)).toString('hex')).toBe(
      'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919',
    );
  });

  it('opens what it sealed, with a fresh nonce each time', () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const secret = new TextEncoder().encode('node private key');
    const a = seal(key, secret, context);
    const b = seal(key, secret, context);
    expect(Buffer.compare(a, b)).not.toBe(0);
    expect(new TextDecoder().decode(open(key, a, context))).toBe('node private key');
  });

  it('refuses a wrong key, a wrong context, altered or truncated bytes', () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const sealed = seal(key, new Uint8Array([1, 2, 3]), context);
    expect(() => open(crypto.getRandomValues(new Uint8Array(32)), sealed, context)).toThrow(SealOpenError);
    expect(() => open(key, sealed, new TextEncoder().encode('other/context'))).toThrow(SealOpenError);
    const altered = sealed.slice();
    altered[13]! ^= 0x80;
    expect(() => open(key, altered, context)).toThrow(SealOpenError);
    expect(() => open(key, sealed.subarray(0, 20), context)).toThrow(SealOpenError);
    expect(() => seal(zeros(16), zeros(1), context)).toThrow(RangeError);
  });
});
