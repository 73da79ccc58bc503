/**
 * The one way a run's counts leave a collaboration. Under the collaboration's guard lock: the run
 * must have been admitted; a run's counts are decided once, and asking again returns the recorded
 * answer (a fresh noise sample per request could be averaged away); below the minimum overlap
 * nothing is released; with noise, a release spends ε from the ledger's budget or is withheld.
 * Every decision is appended to the ledger in the caller's transaction.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { UniformInt } from './discrete-laplace.ts';
import { GuardError } from './guard-errors.ts';
import { appendGuardEntry, checkRunKey, guardTally, lockGuard, standingDecision, type GuardLedgerEntry } from './guard-ledger.ts';
import { epsilonMicros, MICROS_PER_EPSILON, parseGuardPolicy, type GuardPolicy } from './guard-policy.ts';
import { checkRunCounts, releasableCounts, type ReleasedCounts, type RunCounts } from './release-rules.ts';

export type WithheldReason = 'below-min-overlap' | 'budget-exhausted';

export type GuardDecision =
  | ({ readonly released: true; readonly noise: { readonly epsilon: number } | null } & ReleasedCounts)
  | { readonly released: false; readonly reason: WithheldReason };

export async function releaseCounts(
  trx: TenantTransaction,
  collaborationId: string,
  runId: string,
  policy: GuardPolicy,
  counts: RunCounts,
  uniform?: UniformInt,
): Promise<GuardDecision> {
  checkRunKey(collaborationId, runId);
  checkRunCounts(counts);
  const checked = parseGuardPolicy(policy);
  await lockGuard(trx, collaborationId);
  await requireAdmitted(trx, collaborationId, runId);
  const earlier = await standingDecision(trx, collaborationId, runId, 'counts');
  if (earlier) return decisionOf(earlier);

  const withhold = async (reason: WithheldReason, details: Record<string, unknown>): Promise<GuardDecision> => {
    await appendGuardEntry(trx, { collaborationId, runId, stage: 'counts', outcome: 'withheld', reason, details });
    return { released: false, reason };
  };
  if (counts.total < checked.minOverlap) return withhold('below-min-overlap', { minOverlap: checked.minOverlap });
  const spend = checked.noise ? epsilonMicros(checked.noise.epsilonPerRelease) : null;
  if (checked.noise && spend !== null) {
    const spent = (await guardTally(trx, collaborationId)).epsilonMicrosSpent;
    if (spent + spend > epsilonMicros(checked.noise.totalEpsilon)) {
      return withhold('budget-exhausted', { epsilonSpent: spent / MICROS_PER_EPSILON, totalEpsilon: checked.noise.totalEpsilon });
    }
  }
  const released = releasableCounts(counts, checked, spend, uniform);
  const noise = spend === null ? null : { epsilon: spend / MICROS_PER_EPSILON };
  await appendGuardEntry(trx, { collaborationId, runId, stage: 'counts', outcome: 'released', epsilonMicros: spend ?? 0, details: { ...released, noise } });
  return { released: true, ...released, noise };
}

export async function requireAdmitted(trx: TenantTransaction, collaborationId: string, runId: string): Promise<void> {
  if (!(await standingDecision(trx, collaborationId, runId, 'admit'))) {
    throw new GuardError('ACCORD_ERR_GUARD_NOT_ADMITTED', `run ${runId} was not admitted by the output guard`, { runId });
  }
}

function decisionOf(entry: GuardLedgerEntry): GuardDecision {
  if (entry.outcome === 'withheld') return { released: false, reason: entry.reason as WithheldReason };
  const details = entry.details as unknown as ReleasedCounts & { noise: { epsilon: number } | null };
  return { released: true, total: details.total, byIdType: details.byIdType, cells: details.cells, noise: details.noise };
}
