/**
 * Any party can end a collaboration: this node signs a revocation, stores it and queues it for every
 * other party. From then on no run starts here, and none starts on a party's node once it arrives.
 */
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { revocationMessage } from './collaboration-signatures.ts';
import { insertRevocation, loadCollaboration, loadForChange, type Collaboration } from './collaboration-store.ts';
import { queueDeliveries } from './deliver-collaboration-messages.ts';

export async function revokeCollaboration(trx: TenantTransaction, identity: NodeIdentity, id: string, reason: string, actor: string, now = new Date()): Promise<Collaboration> {
  const c = await loadForChange(trx, id, now);
  if (c.revocations.some((r) => r.nodeId === identity.nodeId)) throw new CollaborationError('ACCORD_ERR_COLLABORATION_STATE', `this node already revoked collaboration ${id}`);
  const revokedAt = now.toISOString();
  const signature = identity.sign(revocationMessage({ collaborationId: id, termsHash: c.termsHash, nodeId: identity.nodeId, revokedAt, reason }));
  await insertRevocation(trx, id, { nodeId: identity.nodeId, reason, revokedAt: now, signature, revokedBy: actor });
  await queueDeliveries(trx, c, identity.nodeId, 'revocation');
  await recordAuditEvent(trx, { actor, action: 'collaboration.revoked', targetType: 'collaboration', targetId: id, details: { reason } });
  return (await loadCollaboration(trx, id, now))!;
}
