/**
 * Admits a run of a collaboration before any input is processed: declared sizes within the caps
 * and the asymmetry limit, then, under the collaboration's guard lock, the run budget, the privacy
 * budget and the daily rate limit. The admission is appended to the ledger in the caller's
 * transaction; a refusal is thrown (record it with recordGuardRefusal where the run is failed).
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import { admissionRefusal, checkDeclaredSizes, type DeclaredSizes } from './admission-rules.ts';
import { appendGuardEntry, checkRunKey, guardTally, lockGuard, standingDecision } from './guard-ledger.ts';
import { parseGuardPolicy, type GuardPolicy } from './guard-policy.ts';

export async function admitRun(trx: TenantTransaction, collaborationId: string, runId: string, policy: GuardPolicy, declared: DeclaredSizes): Promise<void> {
  checkRunKey(collaborationId, runId);
  const checked = parseGuardPolicy(policy);
  checkDeclaredSizes(declared, checked);
  await lockGuard(trx, collaborationId);
  if (await standingDecision(trx, collaborationId, runId, 'admit')) {
    throw new AccordError('ACCORD_ERR_CONFLICT', `run ${runId} was already admitted; a new run needs a new id`);
  }
  const refusal = admissionRefusal(await guardTally(trx, collaborationId), checked);
  if (refusal) throw refusal;
  await appendGuardEntry(trx, { collaborationId, runId, stage: 'admit', outcome: 'admitted', details: { declared: { own: declared.own, peer: declared.peer }, policy: checked } });
}
