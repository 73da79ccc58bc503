import { ristretto255_hasher } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { blind, decodeElement, hashToRistretto255, invertScalar, ristrettoReference, scalarFromKey } from '../../../crypto/psi/ristretto-reference.ts';
import { PsiPointError } from '../../../crypto/psi/psi-point-error.ts';
import { BAD_ENCODINGS, GENERATOR_MULTIPLES, ONE_WAY_MAP, OPRF_RISTRETTO255_SHA512, hex } from './rfc-vectors.ts';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const scalarBytes = (value: bigint) => {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return bytes;
};

describe('ristretto255 reference (noble)', () => {
  it('decodes and re-encodes the multiples of the generator (RFC 9496 A.1)', () => {
    const generator = decodeElement(hex(GENERATOR_MULTIPLES[1]!));
    for (let i = 1; i < GENERATOR_MULTIPLES.length; i++) {
      expect(toHex(decodeElement(hex(GENERATOR_MULTIPLES[i]!)).toBytes())).toBe(GENERATOR_MULTIPLES[i]);
      expect(toHex(blind(generator, BigInt(i)))).toBe(GENERATOR_MULTIPLES[i]);
    }
  });

  it('rejects the identity and every invalid encoding of RFC 9496 A.2, naming the element', () => {
    expect(() => decodeElement(hex(GENERATOR_MULTIPLES[0]!), 4)).toThrow(PsiPointError);
    for (const [kind, encodings] of Object.entries(BAD_ENCODINGS)) {
      for (const encoding of encodings) {
        const error = (() => {
          try {
            decodeElement(hex(encoding), 7);
          } catch (caught) {
            return caught;
          }
          return undefined;
        })();
        expect(error, `${kind}: ${encoding}`).toBeInstanceOf(PsiPointError);
        expect((error as PsiPointError).index).toBe(7);
        expect((error as PsiPointError).code).toBe('ACCORD_ERR_PSI_INVALID_POINT');
      }
    }
    expect(() => decodeElement(new Uint8Array(31))).toThrow(PsiPointError);
  });

  it('maps 64 uniform bytes to the RFC 9496 A.3 elements', () => {
    for (const { input, output } of ONE_WAY_MAP) {
      expect(toHex(ristretto255_hasher.deriveToCurve!(hex(input)).toBytes())).toBe(output);
    }
  });

  it('hashes to the group as RFC 9380 hash_to_ristretto255 does (RFC 9497 A.1.1 vectors)', () => {
    const { dst, skSm, blind: blindKey, cases } = OPRF_RISTRETTO255_SHA512;
    for (const { input, blindedElement, evaluationElement } of cases) {
      const blinded = blind(hashToRistretto255(hex(input), dst), scalarFromKey(hex(blindKey)));
      expect(toHex(blinded)).toBe(blindedElement);
      expect(toHex(ristrettoReference.reblind(blinded, hex(skSm)))).toBe(evaluationElement);
      expect(toHex(ristrettoReference.unblind(hex(blindedElement), hex(blindKey)))).toBe(toHex(hashToRistretto255(hex(input), dst).toBytes()));
    }
  });

  it('accepts only canonical non-zero scalars as keys', () => {
    expect(() => scalarFromKey(new Uint8Array(32))).toThrow(RangeError);
    expect(() => scalarFromKey(scalarBytes(ORDER))).toThrow(RangeError);
    expect(() => scalarFromKey(new Uint8Array(31).fill(1))).toThrow(RangeError);
    expect(scalarFromKey(scalarBytes(ORDER - 1n))).toBe(ORDER - 1n);
    const key = ristrettoReference.newKey();
    expect(() => ristrettoReference.checkKey(key)).not.toThrow();
    const inverse = scalarFromKey(invertScalar(key));
    expect((inverse * scalarFromKey(key)) % ORDER).toBe(1n);
  });

  it('refuses packed input whose length is not a multiple of 32, and an empty or oversized DST', () => {
    const key = ristrettoReference.newKey();
    expect(() => ristrettoReference.hashAndBlind(new Uint8Array(33), new Uint8Array([1]), key)).toThrow(RangeError);
    expect(() => ristrettoReference.reblind(new Uint8Array(31), key)).toThrow(RangeError);
    expect(() => ristrettoReference.hashAndBlind(new Uint8Array(32), new Uint8Array(0), key)).toThrow(RangeError);
    expect(() => ristrettoReference.hashAndBlind(new Uint8Array(32), new Uint8Array(256), key)).toThrow(RangeError);
  });
});
