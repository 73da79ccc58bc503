import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeError } from '../../crypto/he/he-error.ts';
import { loadSealBackend } from '../../crypto/he/seal-backend.ts';
import { startBrandSession, type BrandSession } from '../../core/scoring/brand-session.ts';
import { defineModelSpec, parseScoringPolicy } from '../../core/scoring/model-spec.ts';
import { startProviderSession, type ProviderSession } from '../../core/scoring/provider-session.ts';
import { startBrandPool, startProviderPool, type BrandPool, type ProviderPool } from '../../core/scoring/scoring-pool.ts';
import { decodeStepMessage, encodeStepMessage, messageDigest, stepHeaders } from '../../core/scoring/step-message.ts';
import { syntheticData } from '../support/two-party-scoring.ts';

const spec = defineModelSpec({ modelId: 'pool', task: 'logistic', rows: 8192, providerFeatures: 7, brandFeatures: 2, batchRows: 4096, epochs: 1 }, parseScoringPolicy({ minBatchRows: 4096 }));
const data = syntheticData({ rows: 8192, providerFeatures: 7, brandFeatures: 2, seed: 'pool' });

let brand: BrandSession;
let provider: ProviderSession;
let brandPool: BrandPool;
let providerPool: ProviderPool;

beforeAll(async () => {
  const backend = await loadSealBackend();
  brand = startBrandSession(backend, spec, { features: data.brand, labels: data.labels }, { noiseSeed: new Uint8Array(32).fill(1) });
  provider = startProviderSession(backend, spec, data.provider, new Uint8Array(32).fill(2));
  provider.acceptBrandColumns(brand.encryptBrandColumns());
  // Three threads each: this one and two workers, so the order of shares is exercised.
  brandPool = await startBrandPool(brand, 3);
  providerPool = await startProviderPool(provider, 3);
});

afterAll(async () => {
  await providerPool?.close();
  await brandPool?.close();
  provider?.dispose();
  brand?.dispose();
});

describe('scoring pools', () => {
  it('send byte for byte the messages of the sessions alone, cross terms included', async () => {
    let wb = brand.initialWeights();
    let wp = provider.initialWeights();
    for (const step of [0, 1]) {
      const residuals = brand.encryptResiduals(step, wb);
      const alone = provider.computeProducts(step, wp, residuals);
      const pooled = await providerPool.computeProducts(step, wp, residuals);
      expect(Buffer.compare(pooled.message, alone.message)).toBe(0);
      expect(pooled.receipt).toEqual(alone.receipt);
      const answerAlone = brand.answerProducts(step, wb, messageDigest(residuals), alone.message);
      const answerPooled = await brandPool.answerProducts(step, wb, messageDigest(residuals), pooled.message);
      expect(Buffer.compare(answerPooled.message, answerAlone.message)).toBe(0);
      expect(answerPooled.weights).toEqual(answerAlone.weights);
      wb = answerAlone.weights;
      wp = provider.applyMaskedSums(wp, alone.receipt, answerAlone.message).weights;
    }
  });

  it('rethrow a worker refusal with its code', async () => {
    const wb = brand.initialWeights();
    const residuals = brand.encryptResiduals(0, wb);
    const products = provider.computeProducts(0, provider.initialWeights(), residuals).message;
    const header = stepHeaders(spec.modelId, provider.context.paramsId)('provider', 'products', 0, messageDigest(residuals));
    const { parts } = decodeStepMessage(products, header, { count: 7, maxPartBytes: 1 << 20 });
    // The last part's coefficients flipped: still well formed, but no longer an encryption under the brand's key.
    const flipped = parts[6]!.slice();
    for (let i = 200; i < flipped.length; i += 8) flipped[i]! ^= 1;
    const tampered = encodeStepMessage(header, [...parts.slice(0, 6), flipped]);
    const error = await brandPool.answerProducts(0, wb, messageDigest(residuals), tampered).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HeError);
    expect((error as HeError).code).toBe('ACCORD_ERR_HE_UNDECRYPTABLE');
  });
});
