/**
 * What a party adds when it approves: its own rules, which may only make the terms stricter (higher
 * minimums, lower budgets, caps and tolerance, less noise budget, an earlier expiry, fewer identifier
 * types and outputs). The effective terms are the strictest of the terms and every party's rules, so
 * no party is ever held to less than it signed for. Exact counts are the one opt-in: terms that offer
 * them (exactCounts, noise null) release counts without noise only when every party's approval says
 * exactCounts too; a party that says nothing keeps the default noise.
 */
import { z } from 'zod';
import { CollaborationError } from './collaboration-errors.ts';
import { idType, isoInstant, noise, tagEnrichment, TERM_DEFAULTS, type CollaborationTerms } from './collaboration-terms.ts';

export const approvalConstraintsSchema = z
  .object({
    minOverlap: z.number().int().min(1).max(1_000_000_000).optional(),
    minCellSize: z.number().int().min(1).max(1_000_000_000).optional(),
    runBudget: z.number().int().min(1).max(1_000_000).optional(),
    maxRunsPerDay: z.number().int().min(1).max(10_000).optional(),
    maxSetSize: z.number().int().min(1).max(1_000_000_000).optional(),
    noise: noise.optional(),
    exactCounts: z.literal(true).optional(),
    minInputSize: z.number().int().min(1).max(1_000_000_000).optional(),
    declaredSizeTolerance: z.number().min(0).max(0.5).optional(),
    expiresAt: isoInstant.optional(),
    idTypes: z.array(idType).min(1).max(6).optional(),
    outputs: z
      .object({ matchedToBrand: z.literal(false).optional(), matchedToPartner: z.literal(false).optional(), tagEnrichment: tagEnrichment.nullable().optional() })
      .strict()
      .optional(),
  })
  .strict();

export type ApprovalConstraints = z.output<typeof approvalConstraintsSchema>;

/** The terms as every party's rules leave them. */
export type EffectiveTerms = CollaborationTerms;

function loosened(terms: CollaborationTerms, c: ApprovalConstraints): string[] {
  const problems: string[] = [];
  const atLeast = (field: 'minOverlap' | 'minCellSize' | 'minInputSize') => {
    const value = c[field];
    if (value !== undefined && value < terms[field]) problems.push(`${field} ${value} is below the terms' ${terms[field]}`);
  };
  const atMost = (field: 'runBudget' | 'maxRunsPerDay' | 'maxSetSize' | 'declaredSizeTolerance') => {
    const value = c[field];
    if (value !== undefined && value > terms[field]) problems.push(`${field} ${value} is above the terms' ${terms[field]}`);
  };
  atLeast('minOverlap');
  atLeast('minCellSize');
  atLeast('minInputSize');
  atMost('runBudget');
  atMost('maxRunsPerDay');
  atMost('maxSetSize');
  atMost('declaredSizeTolerance');
  if (c.exactCounts && !terms.exactCounts) problems.push('exactCounts: the terms do not offer exact counts');
  if (c.noise && terms.noise && (c.noise.epsilonPerRun > terms.noise.epsilonPerRun || c.noise.totalEpsilon > terms.noise.totalEpsilon)) {
    problems.push("noise may only lower the terms' epsilons");
  }
  if (c.expiresAt && Date.parse(c.expiresAt) > Date.parse(terms.expiresAt)) problems.push(`expiresAt ${c.expiresAt} is after the terms' ${terms.expiresAt}`);
  const foreignTypes = (c.idTypes ?? []).filter((type) => !terms.idTypes.includes(type));
  if (foreignTypes.length > 0) problems.push(`idTypes ${foreignTypes.join(', ')} are not in the terms`);
  const enrichment = c.outputs?.tagEnrichment;
  if (enrichment) {
    const allowed = terms.outputs.tagEnrichment?.tags ?? [];
    const foreignTags = enrichment.tags.filter((tag) => !allowed.includes(tag));
    if (foreignTags.length > 0) problems.push(`tag enrichment with ${foreignTags.join(', ')} is not in the terms`);
  }
  return problems;
}

export function checkOnlyTightens(terms: CollaborationTerms, constraints: ApprovalConstraints): void {
  const problems = loosened(terms, constraints);
  if (problems.length > 0) throw new CollaborationError('ACCORD_ERR_COLLABORATION_CONSTRAINTS', `a party may only tighten the terms: ${problems.join('; ')}`);
}

const earliest = (a: string, b: string | undefined) => (b !== undefined && Date.parse(b) < Date.parse(a) ? b : a);

function strictestNoise(a: CollaborationTerms['noise'], b: ApprovalConstraints['noise']): CollaborationTerms['noise'] {
  if (!b) return a;
  if (!a) return b;
  return { epsilonPerRun: Math.min(a.epsilonPerRun, b.epsilonPerRun), totalEpsilon: Math.min(a.totalEpsilon, b.totalEpsilon) };
}

function strictestEnrichment(a: CollaborationTerms['outputs']['tagEnrichment'], b: ApprovalConstraints['outputs']): CollaborationTerms['outputs']['tagEnrichment'] {
  if (!b || b.tagEnrichment === undefined) return a;
  if (!a || b.tagEnrichment === null) return null;
  const kept = a.tags.filter((tag) => b.tagEnrichment!.tags.includes(tag));
  return kept.length > 0 ? { tags: kept } : null;
}

/** Folds one party's rules into the terms: each field takes the stricter value. */
function tighten(terms: EffectiveTerms, c: ApprovalConstraints): EffectiveTerms {
  return {
    ...terms,
    minOverlap: Math.max(terms.minOverlap, c.minOverlap ?? 0),
    minCellSize: Math.max(terms.minCellSize, c.minCellSize ?? 0),
    minInputSize: Math.max(terms.minInputSize, c.minInputSize ?? 0),
    declaredSizeTolerance: Math.min(terms.declaredSizeTolerance, c.declaredSizeTolerance ?? Infinity),
    runBudget: Math.min(terms.runBudget, c.runBudget ?? Infinity),
    maxRunsPerDay: Math.min(terms.maxRunsPerDay, c.maxRunsPerDay ?? Infinity),
    maxSetSize: Math.min(terms.maxSetSize, c.maxSetSize ?? Infinity),
    noise: strictestNoise(terms.noise, c.noise),
    expiresAt: earliest(terms.expiresAt, c.expiresAt),
    // The terms' priority order is kept; a party can only take types out.
    idTypes: c.idTypes ? terms.idTypes.filter((type) => c.idTypes!.includes(type)) : terms.idTypes,
    outputs: {
      overlapCount: true,
      matchedToBrand: terms.outputs.matchedToBrand && c.outputs?.matchedToBrand !== false,
      matchedToPartner: terms.outputs.matchedToPartner && c.outputs?.matchedToPartner !== false,
      tagEnrichment: strictestEnrichment(terms.outputs.tagEnrichment, c.outputs),
    },
  };
}

export function effectiveTerms(terms: CollaborationTerms, constraints: readonly ApprovalConstraints[]): EffectiveTerms {
  const { exactCounts, ...tightened } = constraints.reduce(tighten, terms);
  if (exactCounts && tightened.noise === null && constraints.every((c) => c.exactCounts === true)) return { ...tightened, exactCounts };
  return { ...tightened, noise: tightened.noise ?? TERM_DEFAULTS.noise };
}
