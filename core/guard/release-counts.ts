/**
 * The one way a run's counts leave a collaboration. Under the collaboration's guard lock: the run
 * must have been admitted; a run's counts are decided once, and asking again returns the recorded
 * answer (a fresh noise sample per request could be averaged away); with noise, a release spends ε
 * from the ledger's budget or is withheld, and the minimum overlap is applied to the noisy total, so
 * ε is spent whichever way it goes (the refusal too is a function of the noise). Without noise (only
 * when every party opted in to exact counts), a count that is the only thing its run releases is
 * held against the earlier exact counts of the collaboration: one that differs from any of them by
 * less than the minimum overlap, but not by nothing, is withheld (Ads Data Hub's diff check), since
 * running S and then S plus one person would otherwise tell that person. Withholding is itself a
 * signal (a near-repeat of an earlier input was asked), which the privacy model states. Every
 * decision is appended to the ledger in the caller's transaction; the exact count never is.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { UniformInt } from './discrete-laplace.ts';
import { GuardError } from './guard-errors.ts';
import { appendGuardEntry, checkRunKey, guardTally, lockGuard, standingDecision, type GuardLedgerEntry } from './guard-ledger.ts';
import { epsilonMicros, MICROS_PER_EPSILON, parseGuardPolicy, type GuardPolicy } from './guard-policy.ts';
import { checkRunCounts, decideRelease, type ReleasedCounts, type RunCounts } from './release-rules.ts';

export const withheldReasons = ['below-min-overlap', 'budget-exhausted', 'too-close-to-earlier-count'] as const;
export type WithheldReason = (typeof withheldReasons)[number];

export type GuardDecision =
  | ({ readonly released: true; readonly noise: { readonly epsilon: number } | null } & ReleasedCounts)
  | { readonly released: false; readonly reason: WithheldReason };

export interface ReleaseOptions {
  /** The count is all its run releases to the other party (no member list): exact counts get the diff check. */
  readonly onlyOutput?: boolean;
  readonly uniform?: UniformInt;
}

export async function releaseCounts(trx: TenantTransaction, collaborationId: string, runId: string, policy: GuardPolicy, counts: RunCounts, options: ReleaseOptions = {}): Promise<GuardDecision> {
  checkRunKey(collaborationId, runId);
  checkRunCounts(counts);
  const checked = parseGuardPolicy(policy);
  await lockGuard(trx, collaborationId);
  await requireAdmitted(trx, collaborationId, runId);
  const earlier = await standingDecision(trx, collaborationId, runId, 'counts');
  if (earlier) return decisionOf(earlier);

  const spend = checked.noise ? epsilonMicros(checked.noise.epsilonPerRelease) : null;
  const noise = spend === null ? null : { epsilon: spend / MICROS_PER_EPSILON, sensitivity: counts.sensitivity ?? 1 };
  const withhold = async (reason: WithheldReason, details: Record<string, unknown>, charged = 0): Promise<GuardDecision> => {
    await appendGuardEntry(trx, { collaborationId, runId, stage: 'counts', outcome: 'withheld', reason, epsilonMicros: charged, details });
    return { released: false, reason };
  };
  if (checked.noise && spend !== null) {
    const spent = (await guardTally(trx, collaborationId)).epsilonMicrosSpent;
    if (spent + spend > epsilonMicros(checked.noise.totalEpsilon)) {
      return withhold('budget-exhausted', { epsilonSpent: spent / MICROS_PER_EPSILON, totalEpsilon: checked.noise.totalEpsilon });
    }
  }
  const outcome = decideRelease(counts, checked, spend, options.uniform);
  if (!outcome.released) return withhold(outcome.reason, { minOverlap: checked.minOverlap, noise }, spend ?? 0);
  const { released: _, ...figures } = outcome;
  if (spend === null && options.onlyOutput) {
    const close = (await exactCountsReleased(trx, collaborationId)).find((total) => total !== figures.total && Math.abs(total - figures.total) < checked.minOverlap);
    if (close !== undefined) return withhold('too-close-to-earlier-count', { minOverlap: checked.minOverlap });
  }
  await appendGuardEntry(trx, { collaborationId, runId, stage: 'counts', outcome: 'released', epsilonMicros: spend ?? 0, details: { ...figures, noise, onlyOutput: options.onlyOutput === true } });
  return { released: true, ...figures, noise: noise && { epsilon: noise.epsilon } };
}

/** Totals released exactly, as the only output of their run, by this collaboration so far. */
async function exactCountsReleased(trx: TenantTransaction, collaborationId: string): Promise<number[]> {
  const rows = await trx.selectFrom('guard_decisions').select('details').where('collaboration_id', '=', collaborationId).where('stage', '=', 'counts').where('outcome', '=', 'released').execute();
  return rows.map((row) => row.details as { total: number; noise: unknown; onlyOutput?: boolean }).filter((details) => details.noise === null && details.onlyOutput === true).map((details) => details.total);
}

export async function requireAdmitted(trx: TenantTransaction, collaborationId: string, runId: string): Promise<void> {
  if (!(await standingDecision(trx, collaborationId, runId, 'admit'))) {
    throw new GuardError('ACCORD_ERR_GUARD_NOT_ADMITTED', `run ${runId} was not admitted by the output guard`, { runId });
  }
}

export function decisionOf(entry: GuardLedgerEntry): GuardDecision {
  if (entry.outcome === 'withheld') return { released: false, reason: entry.reason as WithheldReason };
  const details = entry.details as unknown as ReleasedCounts & { noise: { epsilon: number } | null };
  return { released: true, total: details.total, byIdType: details.byIdType, cells: details.cells, noise: details.noise && { epsilon: details.noise.epsilon } };
}
