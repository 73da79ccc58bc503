/**
 * Vertical training between a brand and a provider in one process, through the real step functions
 * and HE backend, with every message passed as bytes (as the queue would); plus synthetic data and
 * the centralised plaintext model to compare with. Used by test/scoring and bench/scoring-steps.ts.
 */
import type { HeBackend } from '../../crypto/he/he-backend.ts';
import { keystream } from '../../crypto/keystream.ts';
import { batchLayout, batchOfStep, totalSteps } from '../../core/scoring/batch-layout.ts';
import { startBrandSession, type BrandModel } from '../../core/scoring/brand-session.ts';
import { applyFeatureTransform, fitFeatureTransform } from '../../core/scoring/feature-transform.ts';
import type { ProviderStepView } from '../../core/scoring/label-leakage.ts';
import { sigmoid } from '../../core/scoring/model-metrics.ts';
import { labelDpNoise } from '../../core/scoring/label-dp.ts';
import { residualForm, type ScoringModelSpec } from '../../core/scoring/model-spec.ts';
import { startProviderSession, type ProviderModel } from '../../core/scoring/provider-session.ts';
import { startBrandPool, startProviderPool } from '../../core/scoring/scoring-pool.ts';
import { messageDigest } from '../../core/scoring/step-message.ts';

/** The parties' sealed seeds in these runs (the bench subtracts the brand's noise again to measure leakage without it). */
export const BRAND_NOISE_SEED = new Uint8Array(32).fill(1);
export const PROVIDER_MASK_SEED = new Uint8Array(32).fill(2);

export interface PartyData {
  readonly provider: Float64Array[];
  readonly brand: Float64Array[];
  readonly labels: Float64Array;
}

export interface SyntheticOptions {
  readonly rows: number;
  readonly providerFeatures: number;
  readonly brandFeatures: number;
  readonly task?: 'logistic' | 'linear';
  readonly seed?: string;
}

/**
 * N(0,1) features; the label depends on 6 provider features and 2 brand ones (positive rate about
 * 30%), the provider's spread enough for the model audit to pass; a linear label is the same
 * signal plus Gaussian noise.
 */
export function syntheticData(options: SyntheticOptions): PartyData {
  const stream = keystream(new Uint8Array(32).fill(11), `synthetic ${options.seed ?? ''}`);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - stream.unit())) * Math.cos(2 * Math.PI * stream.unit());
  const column = () => Float64Array.from({ length: options.rows }, gaussian);
  const provider = Array.from({ length: options.providerFeatures }, column);
  const brand = Array.from({ length: options.brandFeatures }, column);
  const providerBeta = [0.9, -0.8, 0.7, 0.6, -0.5, 0.4];
  const brandBeta = [0.8, -0.6];
  const labels = Float64Array.from({ length: options.rows }, (_, i) => {
    let z = -1.3;
    providerBeta.forEach((beta, j) => (z += beta * (provider[j]?.[i] ?? 0)));
    brandBeta.forEach((beta, k) => (z += beta * (brand[k]?.[i] ?? 0)));
    return options.task === 'linear' ? z + 0.5 * gaussian() : Number(stream.unit() < sigmoid(z));
  });
  return { provider, brand, labels };
}

/** Rows start..end-1, as views of the same memory. */
export function sliceRows(data: PartyData, start: number, end: number): PartyData {
  return {
    provider: data.provider.map((column) => column.subarray(start, end)),
    brand: data.brand.map((column) => column.subarray(start, end)),
    labels: data.labels.subarray(start, end),
  };
}

export interface TwoPartyRun {
  readonly brandModel: BrandModel;
  readonly providerModel: ProviderModel;
  /** The provider's view of every step, for the label-leakage measure, with its transformed features. */
  readonly providerView: { readonly columns: Float64Array[]; readonly steps: ProviderStepView[] };
  readonly brandToProviderBytes: number;
  readonly providerToBrandBytes: number;
  readonly epochMs: number[];
  /** Rows per ciphertext, which fixes the batch layout. */
  readonly slots: number;
}

export interface TwoPartyOptions {
  /** Called once the sessions, pools and brand columns are ready, before the first step. */
  readonly onReady?: (ms: number) => void;
  readonly onEpoch?: (epoch: number, ms: number) => void;
  /** Threads per party for the HE work, this one included (scoring-pool.ts); 1 runs everything on this thread. */
  readonly threads?: number;
}

export async function trainTwoParty(backend: HeBackend, spec: ScoringModelSpec, data: PartyData, options: TwoPartyOptions = {}): Promise<TwoPartyRun> {
  const setupStart = performance.now();
  const brand = startBrandSession(backend, spec, { features: data.brand, labels: data.labels }, { noiseSeed: BRAND_NOISE_SEED });
  const provider = startProviderSession(backend, spec, data.provider, PROVIDER_MASK_SEED);
  const threads = options.threads ?? 1;
  const columns = brand.encryptBrandColumns();
  provider.acceptBrandColumns(columns);
  const brandPool = threads > 1 ? await startBrandPool(brand, threads) : null;
  const providerPool = threads > 1 ? await startProviderPool(provider, threads) : null;
  try {
    let brandToProvider = columns.length;
    let providerToBrand = 0;
    let wb = brand.initialWeights();
    let wp = provider.initialWeights();
    const steps: ProviderStepView[] = [];
    const epochMs: number[] = [];
    options.onReady?.(performance.now() - setupStart);
    let epochStart = performance.now();
    for (let step = 0; step < totalSteps(spec, brand.batches); step++) {
      const residuals = brand.encryptResiduals(step, wb);
      const products = providerPool ? await providerPool.computeProducts(step, wp, residuals) : provider.computeProducts(step, wp, residuals);
      const answer = brandPool
        ? await brandPool.answerProducts(step, wb, messageDigest(residuals), products.message)
        : brand.answerProducts(step, wb, messageDigest(residuals), products.message);
      const update = provider.applyMaskedSums(wp, products.receipt, answer.message);
      wb = answer.weights;
      wp = update.weights;
      brandToProvider += residuals.length + answer.message.length;
      providerToBrand += products.message.length;
      steps.push({ batch: batchOfStep(provider.batches, step), gradientSums: update.gradientSums });
      if ((step + 1) % brand.batches.length === 0) {
        epochMs.push(performance.now() - epochStart);
        options.onEpoch?.(epochMs.length, epochMs.at(-1)!);
        epochStart = performance.now();
      }
    }
    return {
      brandModel: brand.model(wb),
      providerModel: provider.model(wp),
      providerView: { columns: applyFeatureTransform(provider.transform, data.provider), steps },
      brandToProviderBytes: brandToProvider,
      providerToBrandBytes: providerToBrand,
      epochMs,
      slots: provider.context.slots,
    };
  } finally {
    await providerPool?.close();
    await brandPool?.close();
    provider.dispose();
    brand.dispose();
  }
}

export interface PlaintextModel {
  /** Logits (or predictions) for rows of the same raw columns, provider's first. */
  score(data: PartyData): Float64Array;
}

/**
 * The centralised model to compare with: every column in one place, standardised, and trained on
 * the same batches for the same epochs with the exact sigmoid (or exact linear residual).
 * `protocol` replays instead, in plaintext, what the HE steps compute: the first-order sigmoid, the
 * provider's row scaling and clipping, and the brand's label noise on the provider's sums, which
 * the HE steps must then reproduce to within HE precision.
 */
export function trainPlaintext(spec: ScoringModelSpec, data: PartyData, slots: number, options: { protocol?: boolean } = {}): PlaintextModel {
  const providerTransform = fitFeatureTransform(data.provider, options.protocol ? spec.clipNorm : null);
  const brandTransform = fitFeatureTransform(data.brand, null);
  const columnsOf = (d: PartyData) => [...applyFeatureTransform(providerTransform, d.provider), ...applyFeatureTransform(brandTransform, d.brand), new Float64Array(d.labels.length).fill(1)];
  const columns = columnsOf(data);
  const bias = columns.length - 1;
  let labels = data.labels;
  if (spec.task === 'linear') {
    const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
    const sd = Math.sqrt(labels.reduce((a, y) => a + (y - mean) ** 2, 0) / labels.length);
    labels = labels.map((y) => Math.max(-3, Math.min(3, (y - mean) / sd)));
  }
  const residual = (z: number, y: number) => (spec.task === 'linear' ? z - y : options.protocol ? 0.25 * z + 0.5 - y : sigmoid(z) - y);
  const weights = new Float64Array(columns.length);
  const batches = batchLayout(spec.rows, spec.batchRows, slots);
  for (let step = 0; step < totalSteps(spec, batches); step++) {
    const batch = batchOfStep(batches, step);
    const rows = batch.end - batch.start;
    const d = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let z = 0;
      for (let j = 0; j < columns.length; j++) z += weights[j]! * columns[j]![batch.start + i]!;
      d[i] = residual(z, labels[batch.start + i]!);
    }
    const noiseSd = options.protocol ? spec.labelDpSigma * spec.clipNorm * residualForm(spec.task).labelRange : 0;
    const noise = labelDpNoise(BRAND_NOISE_SEED, spec.modelId, step, data.provider.length, noiseSd);
    columns.forEach((column, j) => {
      let sum = j < data.provider.length ? noise[j]! : 0;
      for (let i = 0; i < rows; i++) sum += d[i]! * column[batch.start + i]!;
      // The provider's preconditioning for its row scale (feature-transform.ts); no penalty on the bias.
      const rate = spec.learningRate * (j < data.provider.length ? 1 / providerTransform.rowScale ** 2 : 1);
      weights[j]! -= rate * (sum / rows) + (j === bias ? 0 : spec.learningRate * spec.l2 * weights[j]!);
    });
  }
  return {
    score(d) {
      const cols = columnsOf(d);
      return Float64Array.from({ length: d.labels.length }, (_, i) => cols.reduce((z, column, j) => z + weights[j]! * column[i]!, 0));
    },
  };
}
