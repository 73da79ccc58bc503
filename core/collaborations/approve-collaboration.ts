/**
 * This node's party approves a collaboration: it checks its own consent ledger covers the purpose
 * and recipients, signs the terms hash with its own constraints (which may only tighten), stores
 * the approval and queues it for every other party, all in one transaction.
 */
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { checkOnlyTightens, type ApprovalConstraints } from './approval-constraints.ts';
import { checkConsentScope } from './check-consent-scope.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { approvalMessage } from './collaboration-signatures.ts';
import { insertApproval, loadCollaboration, loadForChange, type Collaboration } from './collaboration-store.ts';
import { queueDeliveries } from './deliver-collaboration-messages.ts';

export async function approveCollaboration(trx: TenantTransaction, identity: NodeIdentity, id: string, constraints: ApprovalConstraints, actor: string, now = new Date()): Promise<Collaboration> {
  const c = await loadForChange(trx, id, now);
  if (c.status === 'revoked') throw new CollaborationError('ACCORD_ERR_COLLABORATION_REVOKED', `collaboration ${id} was revoked`);
  if (c.status === 'expired') throw new CollaborationError('ACCORD_ERR_COLLABORATION_EXPIRED', `collaboration ${id} expired at ${c.effective.expiresAt}`);
  if (c.approvals.some((a) => a.nodeId === identity.nodeId)) throw new CollaborationError('ACCORD_ERR_COLLABORATION_STATE', `this node already approved collaboration ${id}`);
  checkOnlyTightens(c.terms, constraints);
  if (constraints.expiresAt && Date.parse(constraints.expiresAt) <= now.getTime()) throw new CollaborationError('ACCORD_ERR_COLLABORATION_CONSTRAINTS', 'expiresAt must be in the future');
  await checkConsentScope(trx, c.terms.purpose, c.terms.recipients);
  const signature = identity.sign(approvalMessage({ collaborationId: id, termsHash: c.termsHash, nodeId: identity.nodeId, constraints }));
  await insertApproval(trx, id, { nodeId: identity.nodeId, constraints, signature, approvedBy: actor });
  await queueDeliveries(trx, c, identity.nodeId, 'approval');
  await recordAuditEvent(trx, { actor, action: 'collaboration.approved', targetType: 'collaboration', targetId: id, details: { constraints } });
  return (await loadCollaboration(trx, id, now))!;
}
