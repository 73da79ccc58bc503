/**
 * The one way a matched-member list leaves a collaboration: only an admitted run's, and only when
 * the list holds at least the minimum overlap. Lists carry no noise; where a party receives the
 * list it knows the exact overlap, whatever noise its counts had. The decision is recorded once
 * per run (without the members); asking again with a list of the same size gets the same answer.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import { appendGuardEntry, checkRunKey, lockGuard, standingDecision } from './guard-ledger.ts';
import { parseGuardPolicy, type GuardPolicy } from './guard-policy.ts';
import { requireAdmitted } from './release-counts.ts';

export type MembersDecision<T> = { readonly released: true; readonly members: readonly T[] } | { readonly released: false; readonly reason: 'below-min-overlap' };

export async function releaseMembers<T>(trx: TenantTransaction, collaborationId: string, runId: string, policy: GuardPolicy, members: readonly T[]): Promise<MembersDecision<T>> {
  checkRunKey(collaborationId, runId);
  const checked = parseGuardPolicy(policy);
  await lockGuard(trx, collaborationId);
  await requireAdmitted(trx, collaborationId, runId);
  const released = members.length >= checked.minOverlap;
  const earlier = await standingDecision(trx, collaborationId, runId, 'members');
  if (earlier) {
    if (earlier.details.count !== members.length) {
      throw new AccordError('ACCORD_ERR_CONFLICT', `run ${runId} released a member list of ${String(earlier.details.count)}, not ${members.length}`);
    }
    return earlier.outcome === 'released' ? { released: true, members } : { released: false, reason: 'below-min-overlap' };
  }
  await appendGuardEntry(trx, {
    collaborationId,
    runId,
    stage: 'members',
    outcome: released ? 'released' : 'withheld',
    reason: released ? null : 'below-min-overlap',
    details: released ? { count: members.length } : { count: members.length, minOverlap: checked.minOverlap },
  });
  return released ? { released: true, members } : { released: false, reason: 'below-min-overlap' };
}
