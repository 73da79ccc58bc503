/**
 * A party takes in a collaboration another node proposed: it fetches the terms and every signed
 * statement from that peer's node, and keeps them only if they hold up here. The terms must hash to
 * what the statements signed, this node and every other party must be known under the keys the
 * terms give them, and the node they came from must have approved them: an unsigned document could
 * have been altered on the way, a signed one cannot. Consent is checked later, when this party
 * approves, so the terms can be reviewed before the ledger covers them.
 */
import { recordAuditEvent } from '../audit/audit-log.ts';
import { AccordError, notFound } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { callPeer } from '../peers/peer-client.ts';
import { findPeer } from '../peers/peers.ts';
import { checkSignedApproval, checkSignedRevocation } from './accept-party-statements.ts';
import { checkParties } from './check-parties.ts';
import { collaborationDocumentSchema, type CollaborationDocument } from './collaboration-document.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { insertApproval, insertCollaboration, insertRevocation, loadCollaboration, lockCollaboration, type Collaboration } from './collaboration-store.ts';
import { termsHash } from './collaboration-terms.ts';
import type { InTenant } from './deliver-collaboration-messages.ts';

export function parseDocument(body: unknown, from: string): CollaborationDocument {
  const parsed = collaborationDocumentSchema.safeParse(body);
  if (!parsed.success) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `node ${from} sent a collaboration that is not valid here: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Throws unless the document is these terms, signed by the node it came from. */
export function checkDocument(doc: CollaborationDocument, collaborationId: string, fromNodeId: string): Uint8Array {
  if (doc.terms.id !== collaborationId) throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', `asked for collaboration ${collaborationId}, got ${doc.terms.id}`);
  const hash = termsHash(doc.terms);
  if (Buffer.from(hash).toString('hex') !== doc.termsHash) throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', 'the terms do not hash to the hash they came with: they were altered');
  const agreed = { id: collaborationId, terms: doc.terms, termsHash: hash };
  for (const approval of doc.approvals) checkSignedApproval(agreed, approval);
  for (const revocation of doc.revocations) checkSignedRevocation(agreed, revocation);
  if (!doc.approvals.some((approval) => approval.nodeId === fromNodeId)) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', `node ${fromNodeId} has not approved these terms, so nothing proves they are the ones it proposed; ask it to approve first`);
  }
  return hash;
}

export async function importCollaboration(inTenant: InTenant, identity: NodeIdentity, input: { fromPeer: string; collaborationId: string }, actor: string): Promise<Collaboration> {
  const peer = await inTenant(async (trx) => {
    const found = await findPeer(trx, input.fromPeer);
    if (!found) throw notFound('peer');
    if (await loadCollaboration(trx, input.collaborationId)) throw new AccordError('ACCORD_ERR_CONFLICT', `collaboration ${input.collaborationId} is already here; use POST /v1/collaborations/${input.collaborationId}/sync to catch up`);
    return found;
  });
  const body = await callPeer(identity, { nodeId: peer.node_id, baseUrl: peer.base_url }, 'GET', `/v1/node/collaborations/${input.collaborationId}`);
  const doc = parseDocument(body, peer.node_id);
  const hash = checkDocument(doc, input.collaborationId, peer.node_id);
  return inTenant(async (trx) => {
    await checkParties(trx, doc.terms, identity);
    await lockCollaboration(trx, input.collaborationId, 'exclusive');
    if (await loadCollaboration(trx, input.collaborationId)) throw new AccordError('ACCORD_ERR_CONFLICT', `collaboration ${input.collaborationId} is already here`);
    await insertCollaboration(trx, { terms: doc.terms, termsHash: hash, originNodeId: peer.node_id, createdBy: actor });
    for (const a of doc.approvals) {
      await insertApproval(trx, doc.terms.id, { nodeId: a.nodeId, constraints: a.constraints, signature: Buffer.from(a.signature, 'base64'), approvedBy: `node:${a.nodeId}` });
    }
    for (const r of doc.revocations) {
      await insertRevocation(trx, doc.terms.id, { nodeId: r.nodeId, reason: r.reason, revokedAt: new Date(r.revokedAt), signature: Buffer.from(r.signature, 'base64'), revokedBy: `node:${r.nodeId}` });
    }
    await recordAuditEvent(trx, { actor, action: 'collaboration.imported', targetType: 'collaboration', targetId: doc.terms.id, details: { fromNodeId: peer.node_id, approvals: doc.approvals.map((a) => a.nodeId), revocations: doc.revocations.map((r) => r.nodeId) } });
    return (await loadCollaboration(trx, doc.terms.id))!;
  });
}
