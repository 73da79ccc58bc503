/**
 * What `accord psi join` tells its party about a run's count. When the terms give this party its
 * matched members, it computes the count itself and applies the terms' rules as a node's guard
 * would on its own side (core/guard/release-rules.ts): noise unless the terms are exact, nothing
 * below the minimum overlap, counts by identifier type pooled below the minimum cell size; the
 * decision is what the brand node is told and records. When the terms give it only the count, the
 * brand node computes and releases it, and this party prints that release as it came, never
 * re-noised. The privacy budget across runs is the brand node's to keep: it admits every run.
 */
import type { EffectiveTerms } from '../core/collaborations/approval-constraints.ts';
import { epsilonMicros, parseGuardPolicy } from '../core/guard/guard-policy.ts';
import type { GuardDecision } from '../core/guard/release-counts.ts';
import { decideRelease } from '../core/guard/release-rules.ts';

export function releaseToParty(terms: EffectiveTerms, matched: ReadonlyMap<number, string>): GuardDecision {
  const policy = parseGuardPolicy({ minOverlap: terms.minOverlap, minCellSize: terms.minCellSize });
  const byIdType = Object.fromEntries(terms.idTypes.map((type) => [type, 0]));
  for (const type of matched.values()) byIdType[type] = (byIdType[type] ?? 0) + 1;
  const nonEmpty = Object.fromEntries(Object.entries(byIdType).filter(([, n]) => n > 0));
  const outcome = decideRelease({ total: matched.size, byIdType: nonEmpty }, policy, terms.noise ? epsilonMicros(terms.noise.epsilonPerRun) : null);
  return outcome.released ? { ...outcome, noise: terms.noise && { epsilon: terms.noise.epsilonPerRun } } : outcome;
}

const withheld: Record<Extract<GuardDecision, { released: false }>['reason'], (terms: EffectiveTerms) => string> = {
  'below-min-overlap': (terms) => `the overlap is below the collaboration's minimum of ${terms.minOverlap}`,
  'budget-exhausted': () => "the collaboration's privacy budget is spent",
  'too-close-to-earlier-count': () => 'the count is too close to an earlier exact count of this collaboration, which would tell the people in between',
};

/** One line for the party: the count as released, with its noise, or why nothing was. */
export function releaseLine(runId: string, decision: GuardDecision, terms: EffectiveTerms, by: 'this party' | 'the brand node'): string {
  if (!decision.released) return `run ${runId}: ${withheld[decision.reason](terms)}; nothing is released`;
  const breakdown = decision.byIdType ? ` (${Object.entries(decision.byIdType).map(([type, n]) => `${type} ${n}`).join(', ')})` : '';
  const noise = decision.noise ? `with noise, ε ${decision.noise.epsilon}` : 'exact';
  return `run ${runId}: matched ${decision.total}${breakdown}, ${noise}, released by ${by}`;
}
