import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPsiGroup } from '../../../crypto/psi/load-psi-group.ts';
import { type PsiEngine, PsiEngineError, startPsiEngine } from '../../../crypto/psi/psi-engine.ts';
import { PsiUnsupportedError } from '../../../crypto/psi/psi-group.ts';
import { PsiPointError } from '../../../crypto/psi/psi-point-error.ts';
import { hashToRistretto255 } from '../../../crypto/psi/ristretto-reference.ts';
import { PSI_SUITES, psiDomainSeparationTag } from '../../../crypto/psi/suites.ts';

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const digests = (count: number) => new Uint8Array(randomBytes(count * 32));
const dstFor = (suite: (typeof PSI_SUITES)[number]) => psiDomainSeparationTag(suite, 'c0ffee00-0000-4000-8000-000000000001', 'email');

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject');
}

describe.each(PSI_SUITES)('PSI engine, %s', (suite) => {
  let engine: PsiEngine;
  const dst = dstFor(suite);
  beforeAll(async () => {
    engine = await startPsiEngine({ suite, workers: 2 });
  });
  afterAll(() => engine.close());

  it('commutes across two parties and leaves the caller’s buffers intact', async () => {
    const input = digests(300);
    const a = engine.newKey();
    const b = engine.newKey();
    const aX = await engine.hashAndBlind(input, dst, a);
    const baX = await engine.reblind(aX, b);
    const abX = await engine.reblind(await engine.hashAndBlind(input, dst, b), a);
    expect(toHex(baX)).toBe(toHex(abX));
    expect(input).toHaveLength(300 * 32);
    expect(aX).toHaveLength(300 * 32);
    // A Buffer too (what a database driver hands back): Buffer#slice is a view, and transferring it would empty the caller's copy.
    const buffer = Buffer.concat([aX]);
    expect(toHex(await engine.reblind(buffer, b))).toBe(toHex(baX));
    expect(toHex(buffer)).toBe(toHex(aX));
  });

  it('rejects the whole call with the first invalid element’s index, across batches', async () => {
    const key = engine.newKey();
    const elements = await engine.hashAndBlind(digests(10), dst, engine.newKey());
    const broken = elements.slice();
    broken.fill(0, 7 * 32, 8 * 32);
    const late = await rejectionOf(engine.reblind(broken, key));
    expect(late).toBeInstanceOf(PsiPointError);
    expect((late as PsiPointError).index).toBe(7);
    broken.fill(0, 3 * 32, 4 * 32); // now elements 3 (first batch) and 7 (second batch) are bad
    expect(((await rejectionOf(engine.reblind(broken, key))) as PsiPointError).index).toBe(3);
  });

  it('refuses lengths that are not a multiple of 32, and returns nothing for nothing', async () => {
    const key = engine.newKey();
    await expect(engine.hashAndBlind(new Uint8Array(33), dst, key)).rejects.toThrow(RangeError);
    await expect(engine.reblind(new Uint8Array(31), key)).rejects.toThrow(RangeError);
    await expect(engine.hashAndBlind(new Uint8Array(32), new Uint8Array(0), key)).rejects.toThrow(RangeError);
    expect(await engine.reblind(new Uint8Array(0), key)).toHaveLength(0);
  });

  it('exports and imports keys, refuses destroyed, foreign and malformed ones', async () => {
    const input = digests(4);
    const key = engine.newKey();
    const exported = engine.exportKey(key);
    const imported = engine.importKey(exported);
    exported.fill(0); // the engine kept its own copy
    expect(toHex(await engine.hashAndBlind(input, dst, imported))).toBe(toHex(await engine.hashAndBlind(input, dst, key)));
    key.destroy();
    expect(() => engine.exportKey(key)).toThrow(RangeError);
    await expect(engine.hashAndBlind(input, dst, key)).rejects.toThrow(/destroyed/);
    expect(() => engine.importKey(new Uint8Array(32))).toThrow(RangeError);
    expect(() => engine.importKey(new Uint8Array(16).fill(7))).toThrow(RangeError);
    await expect(engine.reblind(new Uint8Array(32), { suite, destroy() {} })).rejects.toThrow(TypeError);
  });
});

describe('PSI engine across batch boundaries', () => {
  it('ristretto255 with 2 workers: 70,000 elements equal the single-thread results, and unblind returns H(x)', async () => {
    const engine = await startPsiEngine({ suite: 'ristretto255', workers: 2 });
    try {
      const single = await loadPsiGroup('ristretto255');
      const dst = dstFor('ristretto255');
      const input = digests(70_000);
      const key = engine.newKey();
      const pooled = await engine.hashAndBlind(input, dst, key);
      expect(toHex(pooled)).toBe(toHex(single.hashAndBlind(input, dst, engine.exportKey(key))));
      // Summed by two workers in batches, then the partial sums added: the single-thread sum.
      expect(toHex(await engine.sum(pooled))).toBe(toHex(single.sum(pooled)));
      const broken = pooled.slice();
      broken.fill(0, 69_000 * 32, 69_001 * 32);
      expect(((await rejectionOf(engine.sum(broken))) as PsiPointError).index).toBe(69_000);
      const unblinded = await engine.unblind(pooled.subarray(0, 64 * 32), key);
      for (const i of [0, 63]) {
        expect(toHex(unblinded.subarray(i * 32, i * 32 + 32))).toBe(toHex(hashToRistretto255(input.subarray(i * 32, i * 32 + 32), dst).toBytes()));
      }
    } finally {
      await engine.close();
    }
  }, 300_000);

  it('x25519-elligator2 with 1 worker: 70,000 elements cross the 65,536-element batch limit unchanged', async () => {
    const engine = await startPsiEngine({ suite: 'x25519-elligator2', workers: 1 });
    try {
      const single = await loadPsiGroup('x25519-elligator2');
      const dst = dstFor('x25519-elligator2');
      const input = digests(70_000);
      const a = engine.newKey();
      const b = engine.newKey();
      const aX = await engine.hashAndBlind(input, dst, a);
      expect(toHex(aX)).toBe(toHex(single.hashAndBlind(input, dst, engine.exportKey(a))));
      const baX = await engine.reblind(aX, b);
      expect(toHex(baX.subarray(65_530 * 32, 65_540 * 32))).toBe(toHex(single.reblind(aX.subarray(65_530 * 32, 65_540 * 32), engine.exportKey(b))));
      const broken = aX.slice();
      broken.fill(0, 66_000 * 32, 66_001 * 32);
      expect(((await rejectionOf(engine.reblind(broken, b))) as PsiPointError).index).toBe(66_000);
      await expect(engine.unblind(baX, b)).rejects.toThrow(PsiUnsupportedError);
      await expect(engine.sum(baX)).rejects.toThrow(/cannot sum/);
    } finally {
      await engine.close();
    }
  }, 300_000);
});

describe('PSI engine failures', () => {
  // A worker that starts normally, then dies on its first batch.
  const crashingWorker = () =>
    new Worker("const { parentPort } = require('node:worker_threads'); parentPort.postMessage({ kind: 'ready' }); parentPort.on('message', () => process.exit(3));", { eval: true });

  it('rejects pending calls with a clear error when a worker crashes, and every later call', async () => {
    const engine = await startPsiEngine({ suite: 'ristretto255', workers: 2, spawnWorker: crashingWorker });
    const key = engine.newKey();
    const crashed = await rejectionOf(engine.hashAndBlind(digests(8), dstFor('ristretto255'), key));
    expect(crashed).toBeInstanceOf(PsiEngineError);
    expect((crashed as PsiEngineError).message).toMatch(/exited unexpectedly \(exit code 3\)/);
    await expect(engine.reblind(new Uint8Array(32), key)).rejects.toThrow(PsiEngineError);
    await engine.close();
  });

  it('fails to start when a worker cannot, and refuses a bad worker count', async () => {
    const failing = () => new Worker("throw new Error('no WASM here')", { eval: true });
    await expect(startPsiEngine({ suite: 'ristretto255', workers: 2, spawnWorker: failing })).rejects.toThrow(/could not start: no WASM here/);
    await expect(startPsiEngine({ suite: 'ristretto255', workers: 0 })).rejects.toThrow(RangeError);
    await expect(startPsiEngine({ suite: 'p256' as never })).rejects.toThrow(RangeError);
  });

  it('refuses calls after close', async () => {
    const engine = await startPsiEngine({ suite: 'x25519-elligator2', workers: 1 });
    const key = engine.newKey();
    await engine.close();
    await expect(engine.hashAndBlind(digests(1), dstFor('x25519-elligator2'), key)).rejects.toThrow(/closed/);
  });
});
