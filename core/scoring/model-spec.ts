/**
 * What both parties agree before training a vertical model, and the checks each runs on it before
 * touching data. The brand runs them because its labels are what a small batch would leak: a
 * gradient over B rows is d_p sums of B residuals, so with B ≤ d_p the provider could solve for
 * every residual, hence every label (SecretFlow asserts rows > columns for the same reason).
 * Defaults follow reference/federated-scoring.md §6.4.
 */
import { z } from 'zod';
import { isHeParamsName, type HeParamsName } from '../../crypto/he/he-params.ts';
import { ScoringError } from './scoring-errors.ts';

/** `logistic`: a 0/1 label (speed, lookalike); `linear`: a real label (revenue). */
export type ScoringTask = 'logistic' | 'linear';

export interface ScoringModelSpec {
  readonly modelId: string;
  readonly task: ScoringTask;
  readonly heParams: HeParamsName;
  /** Matched training rows, in the order both parties hold them. */
  readonly rows: number;
  readonly providerFeatures: number;
  /** The brand's own features; the brand also holds the bias. Zero for a lookalike model. */
  readonly brandFeatures: number;
  readonly batchRows: number;
  readonly epochs: number;
  readonly learningRate: number;
  /** L2 penalty on every weight but the bias. */
  readonly l2: number;
  /** The provider scales each of its rows to an L2 norm of at most this (after standardising). */
  readonly clipNorm: number;
  /** Label-DP noise multiplier σ: the brand adds N(0, (σ·clipNorm·label range)²) to each returned sum; 0 turns it off. */
  readonly labelDpSigma: number;
  readonly labelDpDelta: number;
}

export interface ScoringPolicy {
  /** No training batch smaller than this. */
  readonly minBatchRows: number;
  /** Audit: no single tag may carry more than this share of the L1 norm of the provider's weights. */
  readonly maxTagShare: number;
  /** Audit: at least this many tags must carry weight... */
  readonly minWeightedTags: number;
  /** ...where carrying weight means at least this fraction of the largest |weight|. */
  readonly weightedTagFloor: number;
  /** Released partial scores are rounded to multiples of this (logit units for logistic models). */
  readonly partialScoreQuantum: number;
  /** No partial scores for fewer rows than this in one request. */
  readonly minScoringBatch: number;
  /** No lookalike segment smaller than this. */
  readonly minLookalikeSegment: number;
  /** Every bucket of a released score histogram counts at least this many people. */
  readonly minHistogramBucket: number;
}

const positiveInt = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const specSchema = z
  .object({
    modelId: z.string().min(1).max(200),
    task: z.enum(['logistic', 'linear']),
    heParams: z.string().refine(isHeParamsName, 'unknown HE parameter set').default('ckks-8192'),
    rows: positiveInt,
    providerFeatures: positiveInt,
    brandFeatures: z.number().int().min(0).max(10_000),
    batchRows: positiveInt.default(16_384),
    epochs: z.number().int().min(1).max(1000).default(5),
    learningRate: z.number().positive().max(1000).default(1),
    l2: z.number().min(0).max(100).default(1e-3),
    clipNorm: z.number().positive().max(1e6).default(8),
    labelDpSigma: z.number().min(0).max(1e6).default(4),
    labelDpDelta: z.number().positive().max(0.1).default(1e-5),
  })
  .strict();

const policySchema = z
  .object({
    minBatchRows: positiveInt.default(16_384),
    maxTagShare: z.number().positive().max(1).default(0.3),
    minWeightedTags: positiveInt.default(5),
    weightedTagFloor: z.number().positive().max(1).default(0.1),
    partialScoreQuantum: z.number().positive().default(0.25),
    minScoringBatch: positiveInt.default(100),
    minLookalikeSegment: positiveInt.default(1000),
    minHistogramBucket: positiveInt.default(50),
  })
  .strict();

export function parseScoringPolicy(input: unknown): ScoringPolicy {
  return policySchema.parse(input ?? {});
}

export const defaultScoringPolicy: ScoringPolicy = parseScoringPolicy({});

/** Weights in the model: the provider's features, the brand's features and the brand's bias. */
export const modelParameters = (spec: ScoringModelSpec) => spec.providerFeatures + spec.brandFeatures + 1;

/** A spec from agreed input, with defaults filled in, or the first ScoringError it deserves. */
export function defineModelSpec(input: unknown, policy: ScoringPolicy = defaultScoringPolicy): ScoringModelSpec {
  const parsed = specSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', `${issue.path.join('.') || 'spec'}: ${issue.message}`);
  }
  const spec = parsed.data as ScoringModelSpec;
  if (spec.heParams === 'ckks-8192' && spec.labelDpSigma < 1) {
    // Released CKKS sums must carry noise that floods the decryption error (Li–Micciancio 2021); BFV is exact.
    throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', 'labelDpSigma: CKKS needs label-DP noise σ ≥ 1; use bfv-8192 for less');
  }
  const parameters = modelParameters(spec);
  if (spec.rows < parameters) throw new ScoringError('ACCORD_ERR_SCORING_ROWS_BELOW_FEATURES', `${spec.rows} rows for ${parameters} parameters`);
  if (spec.batchRows < parameters) {
    throw new ScoringError('ACCORD_ERR_SCORING_BATCH_BELOW_FEATURES', `batches of ${spec.batchRows} rows for ${parameters} parameters`);
  }
  if (spec.batchRows < policy.minBatchRows) {
    throw new ScoringError('ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM', `batches of ${spec.batchRows} rows; the policy asks for at least ${policy.minBatchRows}`);
  }
  if (spec.rows < spec.batchRows) {
    throw new ScoringError('ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM', `${spec.rows} rows cannot fill one batch of ${spec.batchRows}`);
  }
  return spec;
}

/** The brand standardises a real label and clips it to ±this, which bounds what one label can move a residual. */
export const LINEAR_LABEL_CLIP = 3;

/**
 * The residual d = slope·u + offset − y whose products make the gradient: σ(u) − y ≈ 0.5 + 0.25·u − y
 * for logistic models (first-order Taylor, so the provider can add its part homomorphically), u − y
 * exactly for linear ones. `labelRange` is how far one label can move d.
 */
export function residualForm(task: ScoringTask): { readonly slope: number; readonly offset: number; readonly labelRange: number } {
  return task === 'logistic' ? { slope: 0.25, offset: 0.5, labelRange: 1 } : { slope: 1, offset: 0, labelRange: 2 * LINEAR_LABEL_CLIP };
}
