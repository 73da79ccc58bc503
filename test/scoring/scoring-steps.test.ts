import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeBackend } from '../../crypto/he/he-backend.ts';
import { loadSealBackend } from '../../crypto/he/seal-backend.ts';
import { startBrandSession, type BrandSession } from '../../core/scoring/brand-session.ts';
import { defineModelSpec, parseScoringPolicy, type ScoringModelSpec } from '../../core/scoring/model-spec.ts';
import { releasePartialScores } from '../../core/scoring/partial-scores.ts';
import { startProviderSession, type ProviderSession } from '../../core/scoring/provider-session.ts';
import type { ScoringError } from '../../core/scoring/scoring-errors.ts';
import { decodeStepMessage, encodeStepMessage, messageDigest, stepHeaders } from '../../core/scoring/step-message.ts';
import { syntheticData, trainTwoParty, type PartyData } from '../support/two-party-scoring.ts';
import { errorCode } from '../support/error-code.ts';

const policy = parseScoringPolicy({ minBatchRows: 4096 });
const specInput = { modelId: 'steps', task: 'logistic', rows: 8192, providerFeatures: 6, brandFeatures: 2, batchRows: 4096, epochs: 2 } as const;
const NOISE_SEED = new Uint8Array(32).fill(1);
const MASK_SEED = new Uint8Array(32).fill(2);


let backend: HeBackend;
let spec: ScoringModelSpec;
let data: PartyData;
let brand: BrandSession;
let provider: ProviderSession;

beforeAll(async () => {
  backend = await loadSealBackend();
  spec = defineModelSpec(specInput, policy);
  data = syntheticData({ rows: 8192, providerFeatures: 6, brandFeatures: 2, seed: 'steps' });
  brand = startBrandSession(backend, spec, { features: data.brand, labels: data.labels }, { noiseSeed: NOISE_SEED });
  provider = startProviderSession(backend, spec, data.provider, MASK_SEED);
  provider.acceptBrandColumns(brand.encryptBrandColumns());
});

afterAll(() => {
  brand?.dispose();
  provider?.dispose();
});

/** Steps 0 and 1 played honestly, keeping every message. */
function playTwoSteps() {
  let wb = brand.initialWeights();
  let wp = provider.initialWeights();
  return [0, 1].map((step) => {
    const residuals = brand.encryptResiduals(step, wb);
    const products = provider.computeProducts(step, wp, residuals);
    const answer = brand.answerProducts(step, wb, messageDigest(residuals), products.message);
    const weightsBefore = { wb, wp };
    wb = answer.weights;
    wp = provider.applyMaskedSums(wp, products.receipt, answer.message).weights;
    return { step, residuals, products, answer, weightsBefore };
  });
}

/** The message with one part swapped, under the same header. */
function withPart(message: Uint8Array, header: Parameters<typeof encodeStepMessage>[0], index: number, part: Uint8Array): Uint8Array {
  const { parts } = decodeStepMessage(message, header, { count: { max: 100 }, maxPartBytes: 1 << 20 });
  return encodeStepMessage(
    header,
    parts.map((p, i) => (i === index ? part : p)),
  );
}

describe('scoring steps: retries', () => {
  it('answer a retried step with the same bytes on both sides (the label noise is not drawn again)', () => {
    const [first] = playTwoSteps();
    const { residuals, products, answer, weightsBefore } = first!;
    const again = provider.computeProducts(0, weightsBefore.wp, residuals);
    expect(Buffer.compare(again.message, products.message)).toBe(0);
    expect(again.receipt.maskSums).toEqual(products.receipt.maskSums);
    const answerAgain = brand.answerProducts(0, weightsBefore.wb, messageDigest(residuals), products.message);
    expect(Buffer.compare(answerAgain.message, answer.message)).toBe(0);
    expect(answerAgain.weights).toEqual(answer.weights);
  });

  it('mask different residuals for one step differently, so no mask is ever reused', () => {
    const wb = brand.initialWeights();
    const wp = provider.initialWeights();
    // Two encryptions of the same residuals differ (fresh randomness), and so do the masks answering them.
    const a = provider.computeProducts(0, wp, brand.encryptResiduals(0, wb));
    const b = provider.computeProducts(0, wp, brand.encryptResiduals(0, wb));
    expect(a.receipt.maskSums[0]).not.toBe(b.receipt.maskSums[0]);
  });
});

describe('scoring steps: refusals', () => {
  it('refuse a message replayed into another step, model, role or answer', () => {
    const [s0, s1] = playTwoSteps();
    const wp = provider.initialWeights();
    const wb = brand.initialWeights();
    // Residuals of step 0 offered as step 1's.
    expect(errorCode(() => provider.computeProducts(1, wp, s0!.residuals))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    // Products of step 0 answered as step 1's, or against other residuals.
    expect(errorCode(() => brand.answerProducts(1, wb, messageDigest(s1!.residuals), s0!.products.message))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    expect(errorCode(() => brand.answerProducts(0, wb, messageDigest(s1!.residuals), s0!.products.message))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    // Masked sums of step 0 applied to step 1's products.
    expect(errorCode(() => provider.applyMaskedSums(wp, s1!.products.receipt, s0!.answer.message))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    // The brand's own residuals offered back to it as the provider's products.
    expect(errorCode(() => brand.answerProducts(0, wb, messageDigest(s0!.residuals), s0!.residuals))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
  });

  it('refuse residuals of another model', () => {
    const other = startBrandSession(backend, { ...spec, modelId: 'other' }, { features: data.brand, labels: data.labels }, { noiseSeed: NOISE_SEED });
    try {
      expect(errorCode(() => provider.computeProducts(0, provider.initialWeights(), other.encryptResiduals(0, other.initialWeights())))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    } finally {
      other.dispose();
    }
  });

  it('refuse malformed, oversized and foreign ciphertexts inside well-bound messages', () => {
    const wb = brand.initialWeights();
    const wp = provider.initialWeights();
    const residuals = brand.encryptResiduals(0, wb);
    const header = stepHeaders(spec.modelId, provider.context.paramsId)('brand', 'residuals', 0, null);
    const first = decodeStepMessage(residuals, header, { count: 1, maxPartBytes: 1 << 20 }).parts[0]!;
    expect(errorCode(() => provider.computeProducts(0, wp, withPart(residuals, header, 0, first.subarray(0, 5000))))).toBe('ACCORD_ERR_HE_MALFORMED');
    expect(errorCode(() => provider.computeProducts(0, wp, withPart(residuals, header, 0, new Uint8Array(600_000))))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => provider.computeProducts(0, wp, residuals.subarray(0, residuals.length - 1)))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    // A ciphertext under the strict (BFV) parameters, slipped into a CKKS model's message.
    const bfv = backend.createContext('bfv-8192');
    try {
      const key = bfv.generateSecretKey();
      const foreign = key.encrypt(Float64Array.of(1, 2, 3));
      key.dispose();
      expect(errorCode(() => provider.computeProducts(0, wp, withPart(residuals, header, 0, foreign)))).toBe('ACCORD_ERR_HE_WRONG_PARAMS');
    } finally {
      bfv.dispose();
    }
  });

  it('refuse a provider reply that does not decrypt under the brand key, releasing nothing', () => {
    const wb = brand.initialWeights();
    const residuals = brand.encryptResiduals(0, wb);
    const products = provider.computeProducts(0, provider.initialWeights(), residuals).message;
    // A modified provider answers one feature with a product computed under its own key.
    const stranger = startBrandSession(backend, spec, { features: data.brand, labels: data.labels }, { noiseSeed: NOISE_SEED });
    const strangerProvider = startProviderSession(backend, spec, data.provider, MASK_SEED);
    try {
      strangerProvider.acceptBrandColumns(stranger.encryptBrandColumns());
      const strangerResiduals = stranger.encryptResiduals(0, wb);
      const foreignProducts = strangerProvider.computeProducts(0, strangerProvider.initialWeights(), strangerResiduals).message;
      const header = stepHeaders(spec.modelId, provider.context.paramsId)('provider', 'products', 0, messageDigest(residuals));
      const limits = { count: { max: 100 }, maxPartBytes: 1 << 20 };
      const foreignPart = decodeStepMessage(foreignProducts, { ...header, inputDigest: messageDigest(strangerResiduals) }, limits).parts[2]!;
      const tampered = withPart(products, header, 2, foreignPart);
      expect(errorCode(() => brand.answerProducts(0, wb, messageDigest(residuals), tampered))).toBe('ACCORD_ERR_HE_UNDECRYPTABLE');
    } finally {
      stranger.dispose();
      strangerProvider.dispose();
    }
  });
});

describe('model audit at release', () => {
  it('refuses to release scores from a model trained on a label that copies one tag', async () => {
    const crafted = { ...data, labels: data.provider[0]!.map((x) => Number(x > 0)) };
    const run = await trainTwoParty(backend, defineModelSpec({ ...specInput, modelId: 'crafted' }, policy), crafted);
    const error = (() => {
      try {
        releasePartialScores(run.providerModel, data.provider.map((column) => column.subarray(0, 200)), policy);
      } catch (caught) {
        return caught as ScoringError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('ACCORD_ERR_SCORING_AUDIT_REFUSED');
    expect((error?.extensions.audit as { dominantTag: number }).dominantTag).toBe(0);
  });

  it('releases coarse scores from an honest model, and only for large enough requests', async () => {
    const run = await trainTwoParty(backend, defineModelSpec({ ...specInput, modelId: 'honest' }, policy), data);
    const scores = releasePartialScores(run.providerModel, data.provider.map((column) => column.subarray(0, 200)), policy);
    expect(scores.length).toBe(200);
    expect(scores.every((u) => Number.isInteger(u * 4))).toBe(true);
    expect(errorCode(() => releasePartialScores(run.providerModel, data.provider.map((column) => column.subarray(0, 99)), policy))).toBe('ACCORD_ERR_SCORING_RELEASE_TOO_SMALL');
  });
});
