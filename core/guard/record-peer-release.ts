/**
 * Counts the other party's guard decided and released to this node, recorded in this node's ledger.
 * The party that does not benefit from a count computes and releases it (a PSI server for a client
 * that may learn only the count, or a client that learns members for its server): this node only
 * receives the figures. It records them as the peer's decision, never re-noised (noise on top would
 * hide nothing the peer's release has not already shown), and charges the ε that release spent
 * under the terms both nodes read, so both ledgers hold the same budget and this node stops
 * admitting runs once it is spent. With noise, a refusal below the minimum overlap was decided on
 * the noisy count and spent ε too; a refusal for lack of budget spent none.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { appendGuardEntry, checkRunKey, lockGuard, standingDecision } from './guard-ledger.ts';
import { epsilonMicros, parseGuardPolicy, type GuardPolicy } from './guard-policy.ts';
import { decisionOf, requireAdmitted, type GuardDecision } from './release-counts.ts';
import { checkRunCounts } from './release-rules.ts';

export async function recordPeerRelease(trx: TenantTransaction, collaborationId: string, runId: string, policy: GuardPolicy, decision: GuardDecision, peer: string): Promise<GuardDecision> {
  checkRunKey(collaborationId, runId);
  if (decision.released) checkRunCounts({ total: decision.total, byIdType: decision.byIdType ?? undefined, cells: decision.cells ?? undefined });
  const checked = parseGuardPolicy(policy);
  await lockGuard(trx, collaborationId);
  await requireAdmitted(trx, collaborationId, runId);
  const earlier = await standingDecision(trx, collaborationId, runId, 'counts');
  if (earlier) return decisionOf(earlier);
  const spent = checked.noise && (decision.released || decision.reason === 'below-min-overlap') ? epsilonMicros(checked.noise.epsilonPerRelease) : 0;
  const details = { decidedBy: peer, ...(decision.released ? { total: decision.total, byIdType: decision.byIdType, cells: decision.cells, noise: decision.noise } : {}) };
  await appendGuardEntry(trx, { collaborationId, runId, stage: 'counts', outcome: decision.released ? 'released' : 'withheld', reason: decision.released ? null : decision.reason, epsilonMicros: spent, details });
  return decision;
}
