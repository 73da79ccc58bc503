import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, isValidPublicKey, publicKeyOf, sign, verify } from '../../crypto/ed25519.ts';

const hex = (value: string) => Uint8Array.from(Buffer.from(value.replace(/\s/g, ''), 'hex'));

// RFC 8032 section 7.1, tests 1 to 3.
const vectors = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('Ed25519 (RFC 8032)', () => {
  it.each(vectors)('matches the published vector for message "$message"', (vector) => {
    expect(Buffer.from(publicKeyOf(hex(vector.secret))).toString('hex')).toBe(vector.public);
    expect(Buffer.from(sign(hex(vector.message), hex(vector.secret))).toString('hex')).toBe(vector.signature);
    expect(verify(hex(vector.signature), hex(vector.message), hex(vector.public))).toBe(true);
  });

  it('rejects a signature over another message, by another key, or with a flipped bit', () => {
    const { secretKey, publicKey } = generateSigningKeyPair();
    const message = new TextEncoder().encode('collaboration 42, run 7');
    const signature = sign(message, secretKey);
    expect(verify(signature, message, publicKey)).toBe(true);
    expect(verify(signature, new TextEncoder().encode('collaboration 42, run 8'), publicKey)).toBe(false);
    expect(verify(signature, message, generateSigningKeyPair().publicKey)).toBe(false);
    const flipped = signature.slice();
    flipped[10]! ^= 1;
    expect(verify(flipped, message, publicKey)).toBe(false);
  });

  it('rejects malformed lengths and small-order or non-canonical public keys without throwing', () => {
    const { secretKey, publicKey } = generateSigningKeyPair();
    const message = new Uint8Array([1, 2, 3]);
    const signature = sign(message, secretKey);
    expect(verify(signature.subarray(0, 63), message, publicKey)).toBe(false);
    expect(verify(signature, message, publicKey.subarray(0, 31))).toBe(false);
    const identity = new Uint8Array(32);
    identity[0] = 1; // the neutral element: small order
    expect(isValidPublicKey(identity)).toBe(false);
    const nonCanonical = new Uint8Array(32).fill(0xff); // y >= p
    nonCanonical[31] = 0x7f;
    expect(isValidPublicKey(nonCanonical)).toBe(false);
    expect(verify(signature, message, identity)).toBe(false);
    expect(isValidPublicKey(publicKey)).toBe(true);
  });

  it('refuses secret keys and seeds of the wrong length', () => {
    expect(() => sign(new Uint8Array(1), new Uint8Array(31))).toThrow(RangeError);
    expect(() => generateSigningKeyPair(new Uint8Array(16))).toThrow(RangeError);
  });
});
