/**
 * The receiving end of node-to-node collaboration calls. The sending node is already authenticated
 * (api/plugins/node-auth.ts) under a key pinned in some of this node's tenants; a tenant answers
 * only if it holds the collaboration and the sender is one of its parties under that same key.
 * Everyone else learns nothing, not even that the collaboration exists.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { acceptApproval, acceptRevocation } from './accept-party-statements.ts';
import type { SignedApproval, SignedRevocation } from './collaboration-document.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { loadCollaboration, lockCollaboration, type Collaboration } from './collaboration-store.ts';
import { publicKeyOfParty } from './collaboration-terms.ts';

export interface SendingNode {
  readonly nodeId: string;
  readonly publicKey: Uint8Array;
}

/** The collaboration if the sender is one of its parties under the key it signed with; undefined otherwise. */
export async function collaborationSharedWith(trx: TenantTransaction, id: string, sender: SendingNode, lock = false): Promise<Collaboration | undefined> {
  if (lock) await lockCollaboration(trx, id, 'exclusive');
  const c = await loadCollaboration(trx, id);
  const party = c?.terms.parties.find((p) => p.nodeId === sender.nodeId);
  if (!party || Buffer.compare(Buffer.from(publicKeyOfParty(party)), Buffer.from(sender.publicKey)) !== 0) return undefined;
  return c;
}

function requireOwnStatement(sender: SendingNode, signed: { nodeId: string }): void {
  if (signed.nodeId !== sender.nodeId) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', `node ${sender.nodeId} sent a statement signed as node ${signed.nodeId}; a party delivers only its own`);
  }
}

/** True when the tenant holds the collaboration (and took the approval in); false when it does not. */
export async function receiveApproval(trx: TenantTransaction, id: string, sender: SendingNode, signed: SignedApproval): Promise<boolean> {
  const c = await collaborationSharedWith(trx, id, sender, true);
  if (!c) return false;
  requireOwnStatement(sender, signed);
  await acceptApproval(trx, c, signed);
  return true;
}

export async function receiveRevocation(trx: TenantTransaction, id: string, sender: SendingNode, signed: SignedRevocation): Promise<boolean> {
  const c = await collaborationSharedWith(trx, id, sender, true);
  if (!c) return false;
  requireOwnStatement(sender, signed);
  await acceptRevocation(trx, c, signed);
  return true;
}
