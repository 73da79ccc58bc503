/**
 * The brand's side of vertical training (reference §4.1, §6.2). The brand holds the labels, its own
 * features and the only HE secret key. Per step it encrypts the residual parts e = slope·u_b +
 * offset − y of one batch; it decrypts the provider's masked products, returns only their slot sums
 * with label-DP noise (never a decrypted vector: with CKKS that could leak the key), and from the
 * cross terms takes its own gradient step. Its weights and labels never leave it.
 * Answers are deterministic: decryption is, and the noise for a step is drawn from the brand's sealed
 * seed (label-dp.ts), so a retried step gets the same bytes.
 */
import type { HeBackend, HeContext, HeDisposable, HeSecretKey } from '../../crypto/he/he-backend.ts';
import { KEYSTREAM_SEED_BYTES } from '../../crypto/keystream.ts';
import { batchLayout, batchOfStep, checkStep, type Batch } from './batch-layout.ts';
import { applyFeatureTransform, fitFeatureTransform, type FeatureTransform } from './feature-transform.ts';
import { labelDpNoise, snapToReleaseGrid } from './label-dp.ts';
import { LINEAR_LABEL_CLIP, residualForm, type ScoringModelSpec } from './model-spec.ts';
import { rowScores } from './row-scores.ts';
import { ScoringError } from './scoring-errors.ts';
import { decodeStepMessage, encodeStepMessage, messageDigest, packNumbers, stepHeaders } from './step-message.ts';

/** Linear models train on standardised labels; predictions map back through the same transform. */
export interface LabelTransform {
  readonly mean: number;
  readonly sd: number;
}

/** What the brand keeps of a trained model. Weights: one per brand feature, then the bias. */
export interface BrandModel {
  readonly modelId: string;
  readonly transform: FeatureTransform;
  readonly weights: Float64Array;
  readonly labelTransform: LabelTransform | null;
}

export interface BrandTrainingData {
  /** The brand's feature columns over the training rows (none for a lookalike model). */
  readonly features: readonly Float64Array[];
  /** 0/1 for a logistic model, any real for a linear one. */
  readonly labels: Float64Array;
}

export interface BrandSecrets {
  /** The HE secret key from an earlier session of this model (`exportKey`); a new one if absent. */
  readonly heKey?: Uint8Array;
  /** 32 bytes, sealed at rest per model: the label-DP noise of every step derives from it. */
  readonly noiseSeed: Uint8Array;
}

export function startBrandSession(backend: HeBackend, spec: ScoringModelSpec, data: BrandTrainingData, secrets: BrandSecrets): BrandSession {
  const shapeOk = data.features.length === spec.brandFeatures && data.labels.length === spec.rows && data.features.every((column) => column.length === spec.rows);
  if (!shapeOk) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', `expected ${spec.brandFeatures} columns and labels of ${spec.rows} rows`);
  if (!data.labels.every((y) => (spec.task === 'logistic' ? y === 0 || y === 1 : Number.isFinite(y)))) {
    throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', spec.task === 'logistic' ? 'labels must be 0 or 1' : 'labels must be finite numbers');
  }
  if (secrets.noiseSeed.length !== KEYSTREAM_SEED_BYTES) throw new RangeError(`the brand's noise seed must be ${KEYSTREAM_SEED_BYTES} bytes`);
  const transform = fitFeatureTransform(data.features, null);
  const labelTransform = spec.task === 'linear' ? fitLabelTransform(data.labels) : null;
  const labels = labelTransform ? data.labels.map((y) => Math.max(-LINEAR_LABEL_CLIP, Math.min(LINEAR_LABEL_CLIP, (y - labelTransform.mean) / labelTransform.sd))) : data.labels;
  const context = backend.createContext(spec.heParams);
  try {
    const key = secrets.heKey ? context.loadSecretKey(secrets.heKey) : context.generateSecretKey();
    // The bias is a column of ones, so the provider's cross term for it is Σ u_p.
    const columns = [...applyFeatureTransform(transform, data.features), new Float64Array(spec.rows).fill(1)];
    return new BrandSession(spec, context, key, transform, labelTransform, columns, labels, secrets.noiseSeed);
  } catch (error) {
    context.dispose();
    throw error;
  }
}

function fitLabelTransform(labels: Float64Array): LabelTransform {
  const mean = labels.reduce((a, b) => a + b, 0) / labels.length;
  const sd = Math.sqrt(labels.reduce((a, y) => a + (y - mean) ** 2, 0) / labels.length);
  if (!(sd > 0)) throw new ScoringError('ACCORD_ERR_SCORING_DATA_MISMATCH', 'every label is the same');
  return { mean, sd };
}

export class BrandSession implements HeDisposable {
  readonly batches: Batch[];
  private readonly header: ReturnType<typeof stepHeaders>;

  constructor(
    readonly spec: ScoringModelSpec,
    readonly context: HeContext,
    private readonly key: HeSecretKey,
    readonly transform: FeatureTransform,
    readonly labelTransform: LabelTransform | null,
    private readonly columns: Float64Array[],
    private readonly labels: Float64Array,
    private readonly noiseSeed: Uint8Array,
  ) {
    this.batches = batchLayout(spec.rows, spec.batchRows, context.slots);
    this.header = stepHeaders(spec.modelId, context.paramsId);
  }

  /** The HE secret key's bytes, for the caller to seal at rest. */
  exportKey(): Uint8Array {
    return this.key.export();
  }

  initialWeights(): Float64Array {
    return new Float64Array(this.columns.length);
  }

  model(weights: Float64Array): BrandModel {
    return { modelId: this.spec.modelId, transform: this.transform, weights: Float64Array.from(weights), labelTransform: this.labelTransform };
  }

  /** The brand's columns, encrypted once for the provider's cross terms: column by column, chunk by chunk. */
  encryptBrandColumns(): Uint8Array {
    const slots = this.context.slots;
    const chunks = Math.ceil(this.spec.rows / slots);
    const parts = this.columns.flatMap((column) => Array.from({ length: chunks }, (_, c) => this.key.encrypt(column.subarray(c * slots, (c + 1) * slots))));
    return encodeStepMessage(this.header('brand', 'brand-columns', 0, null), parts);
  }

  /** The encrypted residual parts of the step's batch, one ciphertext per chunk. */
  encryptResiduals(step: number, weights: Float64Array): Uint8Array {
    checkStep(this.spec, this.batches, step);
    const batch = batchOfStep(this.batches, step);
    const residual = this.residual(batch, weights);
    const parts = batch.chunks.map((chunk) => this.key.encrypt(residual.subarray(chunk.start - batch.start, chunk.end - batch.start)));
    return encodeStepMessage(this.header('brand', 'residuals', step, null), parts);
  }

  /**
   * The answer to the provider's products for a step: the masked sums with label-DP noise, snapped
   * to the release grid; and the brand's weights after its own step, from the cross terms.
   */
  answerProducts(step: number, weights: Float64Array, residualsDigest: string, products: Uint8Array): { message: Uint8Array; weights: Float64Array } {
    const parts = this.openProducts(step, residualsDigest, products);
    return this.answerFromSums(step, weights, messageDigest(products), this.decryptSums(parts));
  }

  /** answerProducts, part 1: the products checked and bound to the step and the residuals they answer. */
  openProducts(step: number, residualsDigest: string, products: Uint8Array): Uint8Array[] {
    checkStep(this.spec, this.batches, step);
    const featureCount = this.spec.providerFeatures;
    const { parts } = decodeStepMessage(products, this.header('provider', 'products', step, residualsDigest), {
      count: { max: featureCount + this.columns.length },
      maxPartBytes: this.context.maxCiphertextBytes('reply'),
    });
    if (parts.length !== featureCount && parts.length !== featureCount + this.columns.length) {
      throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_MALFORMED', `${parts.length} products for ${featureCount} features and ${this.columns.length} cross terms`);
    }
    return parts;
  }

  /** answerProducts, part 2, the HE work: each part's slot sum. A worker thread runs it over a share of the parts. */
  decryptSums(parts: readonly Uint8Array[]): Float64Array {
    return Float64Array.from(parts, (part) => this.key.decryptSum(part));
  }

  /** answerProducts, part 3, once every part decrypted (one that does not refuses the whole step, releasing nothing). */
  answerFromSums(step: number, weights: Float64Array, productsDigest: string, sums: Float64Array): { message: Uint8Array; weights: Float64Array } {
    const batch = batchOfStep(this.batches, step);
    const featureCount = this.spec.providerFeatures;
    const { labelRange } = residualForm(this.spec.task);
    const noise = labelDpNoise(this.noiseSeed, this.spec.modelId, step, featureCount, this.spec.labelDpSigma * this.spec.clipNorm * labelRange);
    const released = Float64Array.from({ length: featureCount }, (_, j) => snapToReleaseGrid(sums[j]! + noise[j]!));
    const cross = sums.length > featureCount ? Array.from(sums.subarray(featureCount)) : new Array<number>(this.columns.length).fill(0);
    const message = encodeStepMessage(this.header('brand', 'masked-sums', step, productsDigest), [packNumbers(released)]);
    return { message, weights: this.step(batch, weights, cross) };
  }

  dispose(): void {
    this.key.dispose();
    this.context.dispose();
  }

  /** e = slope·u_b + offset − y over the batch. */
  private residual(batch: Batch, weights: Float64Array): Float64Array {
    const { slope, offset } = residualForm(this.spec.task);
    const u = rowScores(this.columns, weights, batch);
    return u.map((value, i) => slope * value + offset - this.labels[batch.start + i]!);
  }

  /** g_b = (X_bᵀe + slope·X_bᵀu_p) / B + λ·w_b (no penalty on the bias), then one step. */
  private step(batch: Batch, weights: Float64Array, cross: readonly number[]): Float64Array {
    const { slope } = residualForm(this.spec.task);
    const residual = this.residual(batch, weights);
    const rows = batch.end - batch.start;
    const bias = this.columns.length - 1;
    return weights.map((weight, k) => {
      const column = this.columns[k]!;
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += column[batch.start + i]! * residual[i]!;
      const gradient = (sum + slope * cross[k]!) / rows + (k === bias ? 0 : this.spec.l2 * weight);
      return weight - this.spec.learningRate * gradient;
    });
  }
}
