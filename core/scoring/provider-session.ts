/**
 * The provider's side of vertical training (reference §4.1, §6.2). It holds no HE key: per step it
 * receives the brand's encrypted residual parts [[e]] for one batch, adds its own partial logit
 * (d = e + slope·u_p, homomorphically), and returns for each of its features the masked sum
 * Σ_rows d·x_j, plus the cross terms Σ_rows xb_k·u_p the brand needs for its own gradient (with
 * zero-sum masks, so only the sum is readable). The brand's reply, the masked sums with label-DP
 * noise, is unmasked here into the provider's gradient; its weights and features never leave it.
 * Steps are deterministic: masks come from a keystream keyed by the provider's sealed seed, the step
 * and the digest of the residuals answered, so a retry gets the same bytes and two different inputs
 * never share a mask (which would let the brand subtract the mask away).
 * Known weakness (semi-honest model): a brand that encrypts one-hot columns instead of its features
 * reads u_p for the chosen rows from the cross terms; additive noise cannot stop it, since the brand
 * also chooses the columns' scale. The model audit and coarse partial scores bound what u_p says.
 */
import type { HeBackend, HeCiphertext, HeContext, HeDisposable, HePlaintext } from '../../crypto/he/he-backend.ts';
import { withHeScope } from '../../crypto/he/he-scope.ts';
import { KEYSTREAM_SEED_BYTES, keystream } from '../../crypto/keystream.ts';
import { batchLayout, batchOfStep, checkStep, type Batch } from './batch-layout.ts';
import { applyFeatureTransform, fitFeatureTransform, type FeatureTransform } from './feature-transform.ts';
import { residualForm, type ScoringModelSpec } from './model-spec.ts';
import { rowScores } from './row-scores.ts';
import { ScoringError } from './scoring-errors.ts';
import { decodeStepMessage, encodeStepMessage, messageDigest, unpackNumbers, stepHeaders } from './step-message.ts';

/** What the provider keeps of a products message it sent, to unmask the answer (the mask sums are secret). */
export interface ProductsReceipt {
  readonly step: number;
  readonly inputDigest: string;
  readonly digest: string;
  readonly maskSums: Float64Array;
}

/** A step's residuals once checked: the ciphertext bytes per chunk, and u_p over the batch. */
export interface OpenedResiduals {
  readonly step: number;
  readonly inputDigest: string;
  readonly parts: Uint8Array[];
  readonly partial: Float64Array;
}

/** The masked products of some features (and perhaps the cross terms), with the features' mask sums. */
export interface ProductParts {
  readonly parts: Uint8Array[];
  readonly maskSums: Float64Array;
}

/** Features from..to-1 of a session (indices into its own columns). */
export interface FeatureRange {
  readonly from: number;
  readonly to: number;
}

/** A share of a provider session's features, for a worker thread to rebuild a session over. */
export interface ProviderShare {
  readonly spec: ScoringModelSpec;
  readonly transform: FeatureTransform;
  readonly columns: Float64Array[];
  readonly seed: Uint8Array;
  readonly featureOffset: number;
}

/** What the provider keeps of a trained model: its weights apply to transformed features. */
export interface ProviderModel {
  readonly modelId: string;
  readonly transform: FeatureTransform;
  readonly weights: Float64Array;
}

export function startProviderSession(backend: HeBackend, spec: ScoringModelSpec, features: readonly Float64Array[], seed: Uint8Array): ProviderSession {
  if (features.length !== spec.providerFeatures || features.some((column) => column.length !== spec.rows)) {
    throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', `expected ${spec.providerFeatures} columns of ${spec.rows} rows`);
  }
  if (seed.length !== KEYSTREAM_SEED_BYTES) throw new RangeError(`the provider's seed must be ${KEYSTREAM_SEED_BYTES} bytes`);
  const transform = fitFeatureTransform(features, spec.clipNorm);
  const context = backend.createContext(spec.heParams);
  return new ProviderSession(spec, context, transform, applyFeatureTransform(transform, features), seed);
}

/** A session over a share of the features, in a worker thread. */
export function startProviderShare(backend: HeBackend, share: ProviderShare): ProviderSession {
  return new ProviderSession(share.spec, backend.createContext(share.spec.heParams), share.transform, share.columns, share.seed, share.featureOffset);
}

export class ProviderSession implements HeDisposable {
  readonly batches: Batch[];
  private readonly header: ReturnType<typeof stepHeaders>;
  /** Encoded features per [feature][chunk], made on first use and kept for every epoch. */
  private readonly multipliers: (HePlaintext | undefined)[][];
  /** The brand's encrypted columns (its features, then its bias) per [column][chunk]. */
  private brandColumns: HeCiphertext[][] | undefined;

  constructor(
    readonly spec: ScoringModelSpec,
    readonly context: HeContext,
    readonly transform: FeatureTransform,
    private readonly columns: Float64Array[],
    private readonly seed: Uint8Array,
    /** A shard session (one worker thread's share) holds the features from this index on. */
    private readonly featureOffset = 0,
  ) {
    this.batches = batchLayout(spec.rows, spec.batchRows, context.slots);
    this.header = stepHeaders(spec.modelId, context.paramsId);
    this.multipliers = columns.map(() => []);
  }

  initialWeights(): Float64Array {
    return new Float64Array(this.spec.providerFeatures);
  }

  /** What a worker thread needs to compute features from..to-1 (scoring-pool.ts). */
  share(from: number, to: number): ProviderShare {
    // Sent by structured clone, which copies them.
    return { spec: this.spec, transform: this.transform, columns: this.columns.slice(from, to), seed: this.seed, featureOffset: from };
  }

  /**
   * Encodes the multipliers of this session's features from..to-1 now rather than during the first
   * epoch (features × chunks × 128 KiB of WASM memory).
   */
  prepare(share: FeatureRange = this.allFeatures()): void {
    for (const batch of this.batches) for (const chunk of batch.chunks) for (let j = share.from; j < share.to; j++) this.multiplier(j, chunk);
  }

  model(weights: Float64Array): ProviderModel {
    return { modelId: this.spec.modelId, transform: this.transform, weights: Float64Array.from(weights) };
  }

  /** The brand's encrypted columns, sent once before the first step. */
  acceptBrandColumns(message: Uint8Array): void {
    const chunks = Math.ceil(this.spec.rows / this.context.slots);
    const width = this.spec.brandFeatures + 1;
    const { parts } = decodeStepMessage(message, this.header('brand', 'brand-columns', 0, null), {
      count: width * chunks,
      maxPartBytes: this.context.maxCiphertextBytes('fresh'),
    });
    const loaded: HeCiphertext[] = [];
    try {
      for (const part of parts) loaded.push(this.context.readCiphertext(part, 'fresh'));
    } catch (error) {
      for (const ciphertext of loaded) ciphertext.dispose();
      throw error;
    }
    this.releaseBrandColumns();
    this.brandColumns = Array.from({ length: width }, (_, k) => loaded.slice(k * chunks, (k + 1) * chunks));
  }

  /** The reply to one step's residuals: masked per-feature sums, then the cross terms (none while u_p is zero). */
  computeProducts(step: number, weights: Float64Array, residuals: Uint8Array): { message: Uint8Array; receipt: ProductsReceipt } {
    const opened = this.openResiduals(step, weights, residuals);
    return this.sealProducts(opened, this.productParts(opened, this.allFeatures(), true));
  }

  /** computeProducts, part 1: the residuals checked and bound to the step, with u_p over its batch. */
  openResiduals(step: number, weights: Float64Array, residuals: Uint8Array): OpenedResiduals {
    checkStep(this.spec, this.batches, step);
    if (this.featureOffset !== 0 || this.columns.length !== this.spec.providerFeatures) throw new Error('a shard cannot open residuals');
    const batch = batchOfStep(this.batches, step);
    const { parts } = decodeStepMessage(residuals, this.header('brand', 'residuals', step, null), {
      count: batch.chunks.length,
      maxPartBytes: this.context.maxCiphertextBytes('fresh'),
    });
    return { step, inputDigest: messageDigest(residuals), parts, partial: rowScores(this.columns, weights, batch) };
  }

  /**
   * computeProducts, part 2, the HE work: masked sums for this session's features from..to-1, then
   * the cross terms if asked (they need the brand columns). A pool runs it over shares of the features.
   */
  productParts(opened: OpenedResiduals, share: FeatureRange, crossTerms: boolean): ProductParts {
    const { step, inputDigest, partial } = opened;
    const batch = batchOfStep(this.batches, step);
    if (crossTerms && !this.brandColumns) throw new Error('the brand columns come before the first step');
    const slope = residualForm(this.spec.task).slope;
    const maskStream = (index: number) => keystream(this.seed, `mask ${JSON.stringify([this.spec.modelId, step, inputDigest, index])}`).fill;
    const chunkOf = (c: number) => partial.subarray(batch.chunks[c]!.start - batch.start, batch.chunks[c]!.end - batch.start);
    return withHeScope((scope) => {
      const d = opened.parts.map((part, c) => {
        const ciphertext = scope.track(this.context.readCiphertext(part, 'fresh'));
        const shift = chunkOf(c).map((u) => slope * u);
        if (shift.some((value) => value !== 0)) this.context.addValues(ciphertext, shift);
        return ciphertext;
      });
      const maskSums = new Float64Array(share.to - share.from);
      const products = Array.from({ length: share.to - share.from }, (_, i) => {
        const j = share.from + i;
        const feature = this.featureOffset + j;
        const sum = this.maskedSum(
          scope,
          batch.chunks.map((chunk, c) => ({ ciphertext: d[c]!, multiplier: this.multiplier(j, chunk) })),
          () => new ScoringError('ACCORD_ERR_SCORING_CONSTANT_FEATURE', `feature ${feature} is zero on every row of batch ${step % this.batches.length}`),
        );
        maskSums[i] = this.context.maskReply(sum, maskStream(feature), false);
        return this.context.writeCiphertext(sum);
      });
      if (!crossTerms) return { parts: products, maskSums };
      const partialMultipliers = batch.chunks.map((_, c) => scope.track(this.context.encodeMultiplier(chunkOf(c))));
      // Before the provider's first update u_p is zero and so are the cross terms, which the brand knows.
      const cross = partialMultipliers.every((multiplier) => multiplier.isZero)
        ? []
        : this.brandColumns!.map((column, k) => {
            const sum = this.maskedSum(
              scope,
              batch.chunks.map((chunk, c) => ({ ciphertext: column[chunk.start / this.context.slots]!, multiplier: partialMultipliers[c]! })),
              () => new Error('unreachable: some partial multiplier is non-zero'),
            );
            this.context.maskReply(sum, maskStream(this.spec.providerFeatures + k), true);
            return this.context.writeCiphertext(sum);
          });
      return { parts: [...products, ...cross], maskSums };
    });
  }

  /** computeProducts, part 3: every feature's product (in order), then the cross terms, as one message. */
  sealProducts(opened: OpenedResiduals, products: ProductParts): { message: Uint8Array; receipt: ProductsReceipt } {
    const features = this.spec.providerFeatures;
    const counts = [features, features + this.spec.brandFeatures + 1];
    if (!counts.includes(products.parts.length) || products.maskSums.length !== features) throw new Error(`${products.parts.length} product parts for ${features} features`);
    const message = encodeStepMessage(this.header('provider', 'products', opened.step, opened.inputDigest), products.parts);
    return { message, receipt: { step: opened.step, inputDigest: opened.inputDigest, digest: messageDigest(message), maskSums: products.maskSums } };
  }

  /** Unmasks the brand's noisy sums into this step's gradient and takes the step. */
  applyMaskedSums(weights: Float64Array, receipt: ProductsReceipt, maskedSums: Uint8Array): { weights: Float64Array; gradientSums: Float64Array } {
    const batch = batchOfStep(this.batches, receipt.step);
    const { parts } = decodeStepMessage(maskedSums, this.header('brand', 'masked-sums', receipt.step, receipt.digest), {
      count: 1,
      maxPartBytes: 8 * this.spec.providerFeatures,
    });
    const sums = unpackNumbers(parts[0]!, this.spec.providerFeatures);
    const gradientSums = sums.map((sum, j) => this.context.reduceSum(sum - receipt.maskSums[j]!));
    const rows = batch.end - batch.start;
    // Steps as fast as on unscaled standardised features (feature-transform.ts); the penalty is on those too.
    const rate = this.spec.learningRate / this.transform.rowScale ** 2;
    const next = weights.map((weight, j) => weight - rate * (gradientSums[j]! / rows) - this.spec.learningRate * this.spec.l2 * weight);
    return { weights: next, gradientSums };
  }

  dispose(): void {
    this.releaseBrandColumns();
    for (const row of this.multipliers) for (const multiplier of row) multiplier?.dispose();
    this.multipliers.forEach((row) => (row.length = 0));
    this.context.dispose();
  }

  /** All of this session's features. */
  allFeatures(): FeatureRange {
    return { from: 0, to: this.columns.length };
  }

  private multiplier(feature: number, chunk: { start: number; end: number }): HePlaintext {
    const index = chunk.start / this.context.slots;
    const row = this.multipliers[feature]!;
    row[index] ??= this.context.encodeMultiplier(this.columns[feature]!.subarray(chunk.start, chunk.end));
    return row[index]!;
  }

  /** Σ ciphertext ⊙ multiplier over the chunks, skipping zero multipliers (SEAL refuses them). */
  private maskedSum(scope: { track<T extends HeDisposable>(handle: T): T }, terms: { ciphertext: HeCiphertext; multiplier: HePlaintext }[], none: () => Error): HeCiphertext {
    let sum: HeCiphertext | undefined;
    for (const { ciphertext, multiplier } of terms) {
      if (multiplier.isZero) continue;
      const first = sum === undefined;
      sum = this.context.multiplyAccumulate(sum, ciphertext, multiplier);
      if (first) scope.track(sum);
    }
    if (!sum) throw none();
    return sum;
  }



  private releaseBrandColumns(): void {
    for (const column of this.brandColumns ?? []) for (const ciphertext of column) ciphertext.dispose();
    this.brandColumns = undefined;
  }
}
