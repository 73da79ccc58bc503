import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeBackend, HeContext, HeSecretKey, RandomFill } from '../../../crypto/he/he-backend.ts';
import type { HeParamsName } from '../../../crypto/he/he-params.ts';
import { withHeScope } from '../../../crypto/he/he-scope.ts';
import { loadSealBackend } from '../../../crypto/he/seal-backend.ts';
import { keystream } from '../../../crypto/keystream.ts';
import { errorCode } from '../../support/error-code.ts';

const SEED = new Uint8Array(32).fill(3);
const stream = (label: string): RandomFill => keystream(SEED, label).fill;


/** Two chunks of residuals e and multipliers x; the provider adds `shift` to e before multiplying. */
function fixture(slots: number) {
  // Multiples of 2^-12: exact in BFV's fixed point, so BFV must match to the last bit.
  const chunk = (seed: number) => Float64Array.from({ length: slots }, (_, i) => Math.round(Math.sin(i * seed) * 4096) / 4096);
  const e = [chunk(1), chunk(2)];
  const x = [chunk(3), chunk(5)];
  const shift = [chunk(7), chunk(11)];
  let expected = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < slots; i++) expected += (e[c]![i]! + shift[c]![i]!) * x[c]![i]!;
  return { e, x, shift, expected };
}

/** The provider's side of one product: read both chunks, shift them, multiply, sum, mask, write. */
function reply(context: HeContext, residuals: Uint8Array[], f: ReturnType<typeof fixture>, random: RandomFill, zeroSum = false) {
  return withHeScope((scope) => {
    let acc;
    for (let c = 0; c < residuals.length; c++) {
      const ct = scope.track(context.readCiphertext(residuals[c]!, 'fresh'));
      context.addValues(ct, f.shift[c]!);
      const pt = scope.track(context.encodeMultiplier(f.x[c]!));
      acc = context.multiplyAccumulate(acc, ct, pt);
      if (c === 0) scope.track(acc);
    }
    const maskSum = context.maskReply(acc!, random, zeroSum);
    return { bytes: context.writeCiphertext(acc!), maskSum };
  });
}

for (const name of ['ckks-8192', 'bfv-8192'] as HeParamsName[]) {
  describe(`node-seal backend, ${name}`, () => {
    let backend: HeBackend;
    let context: HeContext;
    let key: HeSecretKey;
    const tolerance = name === 'ckks-8192' ? 1e-3 : 1e-9;

    beforeAll(async () => {
      backend = await loadSealBackend();
      context = backend.createContext(name);
      key = context.generateSecretKey();
    });
    afterAll(() => {
      key.dispose();
      context.dispose();
    });

    it('computes masked sums of products that unmask to the plaintext sum', () => {
      const f = fixture(context.slots);
      const residuals = f.e.map((values) => key.encrypt(values));
      const masked = reply(context, residuals, f, stream('products'));
      const sum = key.decryptSum(masked.bytes);
      expect(Math.abs(context.reduceSum(sum - masked.maskSum) - f.expected)).toBeLessThan(tolerance);
      // Each slot is hidden: the masked slots look nothing like the products.
      const slots = key.decrypt(masked.bytes, 'reply');
      const product0 = (f.e[0]![0]! + f.shift[0]![0]!) * f.x[0]![0]! + (f.e[1]![0]! + f.shift[1]![0]!) * f.x[1]![0]!;
      expect(Math.abs(slots[0]! - product0)).toBeGreaterThan(1);
      // A zero-sum mask leaves the sum readable without the provider's help.
      const open = reply(context, residuals, f, stream('cross'), true);
      expect(open.maskSum).toBe(0);
      expect(Math.abs(key.decryptSum(open.bytes) - f.expected)).toBeLessThan(tolerance);
    });

    it('gives the same reply bytes for the same ciphertexts and mask stream', () => {
      const f = fixture(context.slots);
      const residuals = f.e.map((values) => key.encrypt(values));
      const first = reply(context, residuals, f, stream('retry'));
      const second = reply(context, residuals, f, stream('retry'));
      expect(Buffer.compare(first.bytes, second.bytes)).toBe(0);
      expect(second.maskSum).toBe(first.maskSum);
    });

    it('round-trips values and a secret key through bytes', () => {
      const values = Float64Array.from({ length: 100 }, (_, i) => i / 8 - 6);
      const bytes = key.encrypt(values);
      const again = context.loadSecretKey(key.export());
      try {
        const decrypted = again.decrypt(bytes, 'fresh');
        expect(decrypted.length).toBe(context.slots);
        for (let i = 0; i < values.length; i++) expect(Math.abs(decrypted[i]! - values[i]!)).toBeLessThan(1e-6);
        expect(decrypted[values.length]).toBeCloseTo(0, 6);
      } finally {
        again.dispose();
      }
    });

    it('refuses malformed, oversized and wrong-level ciphertexts before SEAL parses them', () => {
      const f = fixture(context.slots);
      const fresh = key.encrypt(f.e[0]!);
      const masked = reply(context, [fresh], f, stream('bad')).bytes;
      const read = (bytes: Uint8Array, kind: 'fresh' | 'reply') => errorCode(() => context.readCiphertext(bytes, kind).dispose());
      expect(read(fresh, 'fresh')).toBeUndefined();
      expect(read(masked, 'reply')).toBeUndefined();
      expect(read(fresh.subarray(0, fresh.length - 10), 'fresh')).toBe('ACCORD_ERR_HE_MALFORMED');
      expect(read(fresh.subarray(0, 20), 'fresh')).toBe('ACCORD_ERR_HE_MALFORMED');
      const extended = new Uint8Array(fresh.length + 8);
      extended.set(fresh);
      expect(read(extended, 'fresh')).toBe('ACCORD_ERR_HE_MALFORMED');
      expect(read(new Uint8Array(2_000_000), 'fresh')).toBe('ACCORD_ERR_HE_TOO_LARGE');
      const compressed = fresh.slice();
      compressed[5] = 2;
      expect(read(compressed, 'fresh')).toBe('ACCORD_ERR_HE_MALFORMED');
      // A fresh ciphertext offered as a reply, and the reverse: the level is part of the check.
      expect(read(fresh, 'reply')).toBe('ACCORD_ERR_HE_WRONG_PARAMS');
      expect(read(masked, 'fresh')).toBe('ACCORD_ERR_HE_WRONG_PARAMS');
      // Coefficients out of range for their prime: SEAL's own validation, reported the same way.
      const corrupted = fresh.slice();
      corrupted.fill(0xff, 200, 240);
      expect(read(corrupted, 'fresh')).toBe('ACCORD_ERR_HE_MALFORMED');
    });

    it('refuses a ciphertext under the other parameter set', () => {
      const other = backend.createContext(name === 'ckks-8192' ? 'bfv-8192' : 'ckks-8192');
      try {
        const otherKey = other.generateSecretKey();
        const foreign = otherKey.encrypt(Float64Array.of(1, 2, 3));
        otherKey.dispose();
        expect(errorCode(() => context.readCiphertext(foreign, 'fresh'))).toBe('ACCORD_ERR_HE_WRONG_PARAMS');
        expect(other.paramsId).not.toBe(context.paramsId);
      } finally {
        other.dispose();
      }
    });

    it('reports a reply that does not decrypt under this key', () => {
      const f = fixture(context.slots);
      const stranger = context.generateSecretKey();
      try {
        const masked = reply(context, [stranger.encrypt(f.e[0]!)], f, stream('stranger'));
        expect(errorCode(() => key.decryptSum(masked.bytes))).toBe('ACCORD_ERR_HE_UNDECRYPTABLE');
      } finally {
        stranger.dispose();
      }
    });
  });
}

describe('node-seal backend memory', () => {
  it('stays flat over many steps because every SEAL object is disposed', async () => {
    const backend = await loadSealBackend();
    const context = backend.createContext('ckks-8192');
    const key = context.generateSecretKey();
    try {
      const f = fixture(context.slots);
      const step = (i: number) => {
        const masked = reply(context, f.e.map((values) => key.encrypt(values)), f, stream(`memory ${i}`));
        return key.decryptSum(masked.bytes) - masked.maskSum;
      };
      // Warm-up: SEAL's memory pool and V8's heaps reach their working size.
      for (let i = 0; i < 20; i++) step(i);
      const before = process.memoryUsage.rss();
      // Each step makes five ciphertexts and four plaintexts (about 1.4 MB in WASM memory); kept,
      // 100 steps would add some 130 MB.
      for (let i = 0; i < 100; i++) expect(Math.abs(step(i) - f.expected)).toBeLessThan(1e-3);
      const growthMb = (process.memoryUsage.rss() - before) / 1_048_576;
      expect(growthMb).toBeLessThan(48);
    } finally {
      key.dispose();
      context.dispose();
    }
  });
});
