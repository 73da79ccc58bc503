/**
 * The model spec two parties agree before training, signed like collaboration terms: the brand
 * proposes it (its labelled data: a PSI run of the collaboration, the label tag and its own feature
 * tags; the provider's offered tags by name; batch size, epochs, label-DP σ), each party signs the
 * spec's hash with its own constraints, which may only tighten (more noise, larger batches, fewer
 * epochs, fewer provider tags), and the effective spec is the strictest of them all. Each signature
 * is canonical JSON with its own type, so it cannot be taken for a collaboration approval.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJsonBytes } from '../../crypto/canonical-json.ts';
import { verify } from '../../crypto/ed25519.ts';
import { tagKey } from '../collaborations/collaboration-terms.ts';
import { ScoringError } from './scoring-errors.ts';

/** speed: will the lead buy soon (0/1 label); revenue: how much (real label); lookalike: provider tags only, label = seed membership. */
export const modelTargets = ['speed', 'revenue', 'lookalike'] as const;
export type ModelTarget = (typeof modelTargets)[number];

const unique = (items: readonly string[]) => new Set(items).size === items.length;

export const modelSpecDocumentSchema = z
  .object({
    id: z.uuid(),
    collaborationId: z.uuid(),
    name: z.string().min(1).max(200),
    target: z.enum(modelTargets),
    heParams: z.enum(['ckks-8192', 'bfv-8192']),
    /** The PSI run (same id on both nodes) whose matched persons are the training rows. */
    psiRunId: z.uuid(),
    /** The brand's label: a tag whose value is 0/1 (speed, lookalike) or a number (revenue). */
    labelTag: tagKey,
    brandTags: z.array(tagKey).max(100).refine(unique, 'brandTags repeat'),
    providerTags: z.array(tagKey).min(1).max(1000).refine(unique, 'providerTags repeat'),
    batchRows: z.number().int().min(1).max(10_000_000),
    epochs: z.number().int().min(1).max(100),
    labelDpSigma: z.number().min(0).max(1000),
    learningRate: z.number().positive().max(1000),
    l2: z.number().min(0).max(100),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.target === 'lookalike' && spec.brandTags.length > 0) ctx.addIssue({ code: 'custom', path: ['brandTags'], message: 'a lookalike model uses provider tags only' });
  });

export type ModelSpecDocument = z.output<typeof modelSpecDocumentSchema>;

export const modelConstraintsSchema = z
  .object({
    minLabelDpSigma: z.number().min(0).max(1000).optional(),
    minBatchRows: z.number().int().min(1).max(10_000_000).optional(),
    maxEpochs: z.number().int().min(1).max(100).optional(),
    /** The provider tags this party agrees to; the effective spec keeps only those. */
    providerTags: z.array(tagKey).min(1).max(1000).optional(),
  })
  .strict();

export type ModelConstraints = z.output<typeof modelConstraintsSchema>;

export interface ModelApproval {
  readonly nodeId: string;
  readonly constraints: ModelConstraints;
  /** Base64 Ed25519 over approvalBytes. */
  readonly signature: string;
}

export function parseModelSpec(candidate: unknown): ModelSpecDocument {
  const parsed = modelSpecDocumentSchema.safeParse(candidate);
  if (!parsed.success) throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'spec'}: ${issue.message}`).join('; '));
  return parsed.data;
}

export function specHash(spec: ModelSpecDocument): string {
  return createHash('sha256').update(canonicalJsonBytes(spec)).digest('hex');
}

const approvalBytes = (spec: ModelSpecDocument, nodeId: string, constraints: ModelConstraints) =>
  canonicalJsonBytes({ type: 'accord.scoring.model-approval/v1', modelId: spec.id, collaborationId: spec.collaborationId, specHash: specHash(spec), nodeId, constraints });

export function signApproval(spec: ModelSpecDocument, nodeId: string, constraints: ModelConstraints, sign: (message: Uint8Array) => Uint8Array): ModelApproval {
  return { nodeId, constraints, signature: Buffer.from(sign(approvalBytes(spec, nodeId, constraints))).toString('base64') };
}

/** Refuses an approval whose signature does not verify under the key the collaboration pins for its node. */
export function verifyModelApproval(spec: ModelSpecDocument, approval: ModelApproval, publicKey: Uint8Array): void {
  const parsed = modelConstraintsSchema.safeParse(approval.constraints);
  const signature = Buffer.from(approval.signature, 'base64');
  if (!parsed.success || signature.length !== 64 || !verify(signature, approvalBytes(spec, approval.nodeId, approval.constraints), publicKey)) {
    throw new ScoringError('ACCORD_ERR_SCORING_SIGNATURE', `the approval of node ${approval.nodeId} does not verify`);
  }
}

/** The spec as every party's constraints leave it: each setting at its strictest. */
export function effectiveSpec(spec: ModelSpecDocument, approvals: readonly ModelApproval[]): ModelSpecDocument {
  return approvals.reduce((current, { constraints: c }) => {
    const providerTags = c.providerTags ? current.providerTags.filter((tag) => c.providerTags!.includes(tag)) : current.providerTags;
    if (providerTags.length === 0) throw new ScoringError('ACCORD_ERR_SCORING_SPEC_INVALID', 'the approvals leave no provider tag');
    return {
      ...current,
      labelDpSigma: Math.max(current.labelDpSigma, c.minLabelDpSigma ?? 0),
      batchRows: Math.max(current.batchRows, c.minBatchRows ?? 0),
      epochs: Math.min(current.epochs, c.maxEpochs ?? Infinity),
      providerTags,
    };
  }, spec);
}
