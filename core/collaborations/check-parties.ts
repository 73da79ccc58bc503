/**
 * A tenant takes part in a collaboration only with nodes it knows: this node must be one of the
 * parties under its own key, and every other party must be a registered peer whose pinned key is
 * the key in the terms. A key the terms carry but the tenant never pinned is never trusted.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { publicKeyOfParty, type CollaborationTerms } from './collaboration-terms.ts';

const sameKey = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

export async function checkParties(trx: TenantTransaction, terms: CollaborationTerms, self: Pick<NodeIdentity, 'nodeId' | 'publicKey'>): Promise<void> {
  const own = terms.parties.find((party) => party.nodeId === self.nodeId);
  if (!own) throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `this node (${self.nodeId}) is not a party of the collaboration`);
  if (!sameKey(publicKeyOfParty(own), self.publicKey)) throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', "the terms name this node with a key that is not this node's");
  const others = terms.parties.filter((party) => party !== own);
  const peers = await trx.selectFrom('peers').select(['node_id', 'public_key']).where('node_id', 'in', others.map((party) => party.nodeId)).execute();
  for (const party of others) {
    const peer = peers.find((row) => row.node_id === party.nodeId);
    if (!peer) throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `party node ${party.nodeId} is not a registered peer of this tenant; register it (POST /v1/peers) first`);
    if (!sameKey(publicKeyOfParty(party), peer.public_key)) throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `the terms give party node ${party.nodeId} a key other than the one pinned for it`);
  }
}
