/**
 * Taking in another party's signed approval or revocation (pushed to us, fetched on import, or
 * pulled on sync). It counts only if it is signed under the key the terms give that party, over
 * these very terms; an approval must also only tighten them. Storing the same statement again is a
 * no-op, so redelivery is harmless; a different statement from a party that already made one is a
 * conflict (each party approves and revokes once).
 */
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { checkOnlyTightens } from './approval-constraints.ts';
import type { SignedApproval, SignedRevocation } from './collaboration-document.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { verifyApproval, verifyRevocation } from './collaboration-signatures.ts';
import { insertApproval, insertRevocation, type Collaboration } from './collaboration-store.ts';
import { publicKeyOfParty } from './collaboration-terms.ts';
import { canonicalJson } from '../../crypto/canonical-json.ts';

type Agreed = Pick<Collaboration, 'id' | 'terms' | 'termsHash'>;

function partyKey(c: Agreed, nodeId: string): Uint8Array {
  const party = c.terms.parties.find((p) => p.nodeId === nodeId);
  if (!party) throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', `node ${nodeId} is not a party of collaboration ${c.id}`);
  return publicKeyOfParty(party);
}

/** Throws unless the approval is a valid one by that party over these terms. */
export function checkSignedApproval(c: Agreed, signed: SignedApproval): void {
  const key = partyKey(c, signed.nodeId);
  const statement = { collaborationId: c.id, termsHash: c.termsHash, nodeId: signed.nodeId, constraints: signed.constraints };
  if (!verifyApproval(statement, Buffer.from(signed.signature, 'base64'), key)) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', `the approval by node ${signed.nodeId} does not verify against these terms and that party's key`);
  }
  checkOnlyTightens(c.terms, signed.constraints);
}

export function checkSignedRevocation(c: Agreed, signed: SignedRevocation): void {
  const key = partyKey(c, signed.nodeId);
  const statement = { collaborationId: c.id, termsHash: c.termsHash, nodeId: signed.nodeId, revokedAt: signed.revokedAt, reason: signed.reason };
  if (!verifyRevocation(statement, Buffer.from(signed.signature, 'base64'), key)) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', `the revocation by node ${signed.nodeId} does not verify against these terms and that party's key`);
  }
}

/** Stores a party's approval; true when it is new here. Checks the signature first. */
export async function acceptApproval(trx: TenantTransaction, c: Collaboration, signed: SignedApproval): Promise<boolean> {
  checkSignedApproval(c, signed);
  const existing = c.approvals.find((a) => a.nodeId === signed.nodeId);
  if (existing) {
    if (canonicalJson(existing.constraints) !== canonicalJson(signed.constraints)) {
      throw new CollaborationError('ACCORD_ERR_COLLABORATION_STATE', `node ${signed.nodeId} already approved collaboration ${c.id} with other constraints`);
    }
    return false;
  }
  const added = await insertApproval(trx, c.id, { nodeId: signed.nodeId, constraints: signed.constraints, signature: Buffer.from(signed.signature, 'base64'), approvedBy: `node:${signed.nodeId}` });
  if (added) await recordAuditEvent(trx, { actor: `node:${signed.nodeId}`, action: 'collaboration.approval_received', targetType: 'collaboration', targetId: c.id, details: { constraints: signed.constraints } });
  return added;
}

/** Stores a party's revocation; true when it is new here. Checks the signature first. */
export async function acceptRevocation(trx: TenantTransaction, c: Collaboration, signed: SignedRevocation): Promise<boolean> {
  checkSignedRevocation(c, signed);
  if (c.revocations.some((r) => r.nodeId === signed.nodeId)) return false;
  const added = await insertRevocation(trx, c.id, { nodeId: signed.nodeId, reason: signed.reason, revokedAt: new Date(signed.revokedAt), signature: Buffer.from(signed.signature, 'base64'), revokedBy: `node:${signed.nodeId}` });
  if (added) await recordAuditEvent(trx, { actor: `node:${signed.nodeId}`, action: 'collaboration.revocation_received', targetType: 'collaboration', targetId: c.id, details: { reason: signed.reason, revokedAt: signed.revokedAt } });
  return added;
}
