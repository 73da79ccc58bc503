import { randomBytes } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { PsiUnsupportedError } from '../../../crypto/psi/psi-group.ts';
import { PsiPointError } from '../../../crypto/psi/psi-point-error.ts';
import { hashToX25519, isCanonicalU, sodiumX25519 as group } from '../../../crypto/psi/sodium-x25519.ts';
import { psiDomainSeparationTag } from '../../../crypto/psi/suites.ts';
import { hex } from './rfc-vectors.ts';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const dst = psiDomainSeparationTag('x25519-elligator2', 'c0ffee00-0000-4000-8000-000000000001', 'phone');
const digests = (count: number) => new Uint8Array(randomBytes(count * 32));

// Curve25519 points of order 1, 2, 4 and 8, and non-canonical encodings of 0 and 1.
const LOW_ORDER_U = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

function pointErrorOf(run: () => unknown): PsiPointError {
  try {
    run();
  } catch (error) {
    if (error instanceof PsiPointError) return error;
    throw error;
  }
  throw new Error('expected a PsiPointError');
}

describe('x25519-elligator2 suite (sodium-native)', () => {
  it('reblinds as RFC 7748 X25519 does (§5.2, first vector)', () => {
    const out = group.reblind(hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'), hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'));
    expect(toHex(out)).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  it('hashes onto the prime-order subgroup, deterministically and per DST', () => {
    const digest = digests(1);
    const u = hashToX25519(digest, dst);
    expect(toHex(hashToX25519(digest, dst))).toBe(toHex(u));
    expect(toHex(hashToX25519(digest, psiDomainSeparationTag('x25519-elligator2', 'c0ffee00-0000-4000-8000-000000000001', 'email')))).not.toBe(toHex(u));
    expect(isCanonicalU(u)).toBe(true);
    // Back on edwards25519 (y = (u − 1)/(u + 1)), the point is torsion-free and not the identity.
    const Fp = ed25519.Point.Fp;
    const uValue = Fp.fromBytes(u);
    const edwards = ed25519.Point.fromBytes(Fp.toBytes(Fp.div(Fp.sub(uValue, Fp.ONE), Fp.add(uValue, Fp.ONE))));
    expect(edwards.isTorsionFree()).toBe(true);
    expect(edwards.is0()).toBe(false);
  });

  it('blinds with the clamped key exactly as noble X25519 does', () => {
    const input = digests(50);
    const key = group.newKey();
    const blinded = group.hashAndBlind(input, dst, key);
    for (let i = 0; i < 50; i++) {
      const u = hashToX25519(input.subarray(i * 32, i * 32 + 32), dst);
      expect(toHex(blinded.subarray(i * 32, i * 32 + 32))).toBe(toHex(x25519.scalarMult(key, u)));
    }
  });

  it('commutes: H(x)^ab == H(x)^ba', () => {
    const input = digests(500);
    const a = group.newKey();
    const b = group.newKey();
    const abX = group.reblind(group.hashAndBlind(input, dst, a), b);
    const baX = group.reblind(group.hashAndBlind(input, dst, b), a);
    expect(toHex(abX)).toBe(toHex(baX));
    expect(toHex(abX)).not.toBe(toHex(group.hashAndBlind(input, dst, a)));
  });

  it('rejects low-order, all-zero and non-canonical u in reblind, with the index', () => {
    const key = group.newKey();
    const valid = group.hashAndBlind(digests(1), dst, group.newKey());
    const nonCanonical = [
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p
      'f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 3
      'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', // top bit set (RFC 7748 would mask it)
    ];
    for (const bad of [...LOW_ORDER_U, ...nonCanonical]) {
      const packed = new Uint8Array(96);
      packed.set(valid, 0);
      packed.set(valid, 32);
      packed.set(hex(bad), 64);
      expect(pointErrorOf(() => group.reblind(packed, key)).index, bad).toBe(2);
    }
    expect(isCanonicalU(hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'))).toBe(true);
    expect(() => group.reblind(new Uint8Array(40), key)).toThrow(RangeError);
  });

  it('refuses all-zero or short keys and cannot unblind', () => {
    expect(() => group.checkKey(new Uint8Array(32))).toThrow(RangeError);
    expect(() => group.checkKey(new Uint8Array(31).fill(1))).toThrow(RangeError);
    expect(() => group.hashAndBlind(digests(1), dst, new Uint8Array(32))).toThrow(RangeError);
    expect(() => group.unblind(digests(1), group.newKey())).toThrow(PsiUnsupportedError);
  });
});
