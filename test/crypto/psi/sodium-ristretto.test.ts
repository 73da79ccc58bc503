import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PsiGroup } from '../../../crypto/psi/psi-group.ts';
import { PsiPointError } from '../../../crypto/psi/psi-point-error.ts';
import { ristrettoReference } from '../../../crypto/psi/ristretto-reference.ts';
import { hashToRistretto255, loadSodiumRistretto } from '../../../crypto/psi/sodium-ristretto.ts';
import { psiDomainSeparationTag } from '../../../crypto/psi/suites.ts';
import { GENERATOR_MULTIPLES, ONE_WAY_MAP, OPRF_RISTRETTO255_SHA512, allBadEncodings, hex } from './rfc-vectors.ts';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const ONE = hex('01'.padEnd(64, '0'));

function pointErrorOf(run: () => unknown): PsiPointError {
  try {
    run();
  } catch (error) {
    if (error instanceof PsiPointError) return error;
    throw error;
  }
  throw new Error('expected a PsiPointError');
}

describe('ristretto255 bulk engine (libsodium)', () => {
  let group: PsiGroup;
  beforeAll(async () => {
    group = await loadSodiumRistretto();
  });

  it('accepts the multiples of the generator and keeps them under the unit key (RFC 9496 A.1)', () => {
    const multiples = hex(GENERATOR_MULTIPLES.slice(1).join(''));
    expect(toHex(group.reblind(multiples, ONE))).toBe(GENERATOR_MULTIPLES.slice(1).join(''));
  });

  it('maps 64 uniform bytes to the RFC 9496 A.3 elements', () => {
    for (const { input, output } of ONE_WAY_MAP) expect(toHex(sodium.crypto_core_ristretto255_from_hash(hex(input)))).toBe(output);
  });

  it('hashes to the group as RFC 9380 hash_to_ristretto255 does (RFC 9497 A.1.1 vectors)', () => {
    const { dst, skSm, blind, cases } = OPRF_RISTRETTO255_SHA512;
    for (const { input, blindedElement, evaluationElement } of cases) {
      const blinded = group.reblind(hashToRistretto255(hex(input), dst), hex(blind));
      expect(toHex(blinded)).toBe(blindedElement);
      expect(toHex(group.reblind(blinded, hex(skSm)))).toBe(evaluationElement);
      expect(toHex(group.unblind(blinded, hex(blind)))).toBe(toHex(hashToRistretto255(hex(input), dst)));
    }
  });

  it('rejects the identity, every RFC 9496 A.2 encoding and wrong lengths in reblind and unblind, with the index', () => {
    const key = group.newKey();
    const valid = hex(GENERATOR_MULTIPLES[3]!);
    for (const bad of [GENERATOR_MULTIPLES[0]!, ...allBadEncodings()]) {
      const packed = new Uint8Array(3 * 32);
      packed.set(valid, 0);
      packed.set(hex(bad), 32);
      packed.set(valid, 64);
      expect(pointErrorOf(() => group.reblind(packed, key)).index, bad).toBe(1);
      expect(pointErrorOf(() => group.unblind(packed, key)).index, bad).toBe(1);
    }
    expect(() => group.reblind(new Uint8Array(33), key)).toThrow(RangeError);
    expect(() => group.hashAndBlind(new Uint8Array(31), new Uint8Array([1]), key)).toThrow(RangeError);
  });

  it('sums elements as the group does (G + 2G = 3G), refuses the identity and bad encodings, and sums nothing to the identity', () => {
    const [zero, g, twoG, threeG] = GENERATOR_MULTIPLES.slice(0, 4).map((m) => hex(m!));
    expect(toHex(group.sum(Buffer.concat([g!, twoG!])))).toBe(toHex(threeG!));
    expect(toHex(group.sum(new Uint8Array(0)))).toBe(toHex(zero!));
    for (const bad of [GENERATOR_MULTIPLES[0]!, ...allBadEncodings()]) {
      expect(pointErrorOf(() => group.sum(Buffer.concat([g!, hex(bad)]))).index, bad).toBe(1);
    }
    // Partial sums may be the identity (they can cancel out); other encodings are still checked.
    expect(toHex(group.sum(Buffer.concat([g!, zero!]), true))).toBe(toHex(g!));
    expect(() => group.sum(Buffer.concat([g!, hex(allBadEncodings()[0]!)]), true)).toThrow(PsiPointError);
  });

  it('refuses the zero scalar and non-canonical scalars as keys', () => {
    expect(() => group.checkKey(new Uint8Array(32))).toThrow(RangeError);
    expect(() => group.checkKey(new Uint8Array(32).fill(0xff))).toThrow(RangeError);
    expect(() => group.checkKey(new Uint8Array(16).fill(1))).toThrow(RangeError);
    expect(() => group.reblind(hex(GENERATOR_MULTIPLES[1]!), new Uint8Array(32))).toThrow(RangeError);
    const key = group.newKey();
    expect(key).toHaveLength(32);
    expect(() => group.checkKey(key)).not.toThrow();
  });

  it('is byte-identical to the noble reference for 2,000 random digests: hash, blind, reblind, unblind', () => {
    const count = 2_000;
    const digests = new Uint8Array(randomBytes(count * 32));
    const dst = psiDomainSeparationTag('ristretto255', 'c0ffee00-0000-4000-8000-000000000001', 'email');
    const a = group.newKey();
    const b = ristrettoReference.newKey();

    const aX = group.hashAndBlind(digests, dst, a);
    expect(toHex(ristrettoReference.hashAndBlind(digests, dst, a))).toBe(toHex(aX));
    const baX = group.reblind(aX, b);
    expect(toHex(ristrettoReference.reblind(aX, b))).toBe(toHex(baX));
    const bX = group.unblind(baX, a);
    expect(toHex(ristrettoReference.unblind(baX, a))).toBe(toHex(bX));
    // Commutativity: H(x)^ab == H(x)^ba, so unblinding a leaves H(x)^b.
    expect(toHex(bX)).toBe(toHex(group.hashAndBlind(digests, dst, b)));
    // Sums: the same bytes, and blinding commutes with summing (Σ x^a = (Σ x)^a), which the count-only check relies on.
    const sum = group.sum(aX);
    expect(toHex(ristrettoReference.sum(aX))).toBe(toHex(sum));
    expect(toHex(group.sum(baX))).toBe(toHex(group.reblind(sum, b)));
  }, 180_000);
});
