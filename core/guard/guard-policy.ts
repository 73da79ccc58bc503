/**
 * What a collaboration's outputs must satisfy. Each party states its own policy; the guard applies
 * the strictest value of each field (`strictestPolicy`), so no party's rule is weakened by another's.
 * Epsilons are kept in millionths in the ledger, so budgets add up exactly (0.1 + 0.2 is 0.3 there).
 */
import { z } from 'zod';

export interface GuardPolicy {
  /** Nothing is released about an overlap smaller than this. */
  readonly minOverlap: number;
  /** Breakdown cells below this are pooled with others until no published figure describes fewer. */
  readonly minCellSize: number;
  /** Discrete Laplace noise on released counts, and the collaboration's whole privacy budget. */
  readonly noise: { readonly epsilonPerRelease: number; readonly totalEpsilon: number } | null;
  /** Runs admitted in any 24 hours. */
  readonly maxRunsPerDay: number;
  /** Runs admitted over the collaboration's life. */
  readonly runBudget: number;
  /** Cap on any declared input set. */
  readonly maxSetSize: number;
  /** Cap on larger / smaller declared set: a tiny set against a huge one is a membership probe. */
  readonly maxSizeRatio: number;
  /** The fewest distinct elements of one identifier type the other party's set may hold, counted as they arrive. */
  readonly minInputSize: number;
  /** How far below its declared size a set may arrive (0.05: 5%); above it, never. */
  readonly declaredSizeTolerance: number;
}

export const MICROS_PER_EPSILON = 1_000_000;

const epsilon = z.number().min(1 / MICROS_PER_EPSILON).max(100);
const count = z.number().int().min(1);

export const guardPolicySchema = z
  .object({
    minOverlap: count.default(100),
    minCellSize: count.default(50),
    noise: z
      .object({ epsilonPerRelease: epsilon, totalEpsilon: epsilon })
      .refine((n) => n.epsilonPerRelease <= n.totalEpsilon, 'epsilonPerRelease must not exceed totalEpsilon')
      .nullable()
      .default(null),
    maxRunsPerDay: count.default(10),
    runBudget: count.default(1000),
    maxSetSize: count.max(Number.MAX_SAFE_INTEGER).default(100_000_000),
    maxSizeRatio: z.number().min(1).default(100),
    minInputSize: count.optional(),
    declaredSizeTolerance: z.number().min(0).max(0.5).default(0.05),
  })
  .strict()
  // An input ten times the minimum overlap, unless the party says otherwise.
  .transform((policy) => ({ ...policy, minInputSize: policy.minInputSize ?? 10 * policy.minOverlap }));

/** Reads a party's policy; fields left out take the defaults (minimum overlap 100, inputs of at least 1,000). */
export function parseGuardPolicy(input: unknown): GuardPolicy {
  return guardPolicySchema.parse(input ?? {});
}

export const defaultGuardPolicy: GuardPolicy = parseGuardPolicy({});

/** The policy every party can live with: for each field the value that releases the least. */
export function strictestPolicy(first: GuardPolicy, ...others: readonly GuardPolicy[]): GuardPolicy {
  return others.reduce(
    (a, b) => ({
      minOverlap: Math.max(a.minOverlap, b.minOverlap),
      minCellSize: Math.max(a.minCellSize, b.minCellSize),
      noise: strictestNoise(a.noise, b.noise),
      maxRunsPerDay: Math.min(a.maxRunsPerDay, b.maxRunsPerDay),
      runBudget: Math.min(a.runBudget, b.runBudget),
      maxSetSize: Math.min(a.maxSetSize, b.maxSetSize),
      maxSizeRatio: Math.min(a.maxSizeRatio, b.maxSizeRatio),
      minInputSize: Math.max(a.minInputSize, b.minInputSize),
      declaredSizeTolerance: Math.min(a.declaredSizeTolerance, b.declaredSizeTolerance),
    }),
    first,
  );
}

function strictestNoise(a: GuardPolicy['noise'], b: GuardPolicy['noise']): GuardPolicy['noise'] {
  if (!a || !b) return a ?? b;
  return { epsilonPerRelease: Math.min(a.epsilonPerRelease, b.epsilonPerRelease), totalEpsilon: Math.min(a.totalEpsilon, b.totalEpsilon) };
}

export const epsilonMicros = (epsilon: number): number => Math.round(epsilon * MICROS_PER_EPSILON);
