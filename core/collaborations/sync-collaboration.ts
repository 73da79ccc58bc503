/**
 * Catching up with the other parties: deliver what this node still owes them, then fetch each
 * party's view and take in any approval or revocation signed there that is not here yet (one that
 * was pushed while this node was down, or before it had imported the collaboration).
 */
import type { NodeIdentity } from '../identity/node-identity.ts';
import { isOfflineBaseUrl } from '../peers/offline-party.ts';
import { callPeer } from '../peers/peer-client.ts';
import { acceptApproval, acceptRevocation } from './accept-party-statements.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { loadCollaboration, loadForChange } from './collaboration-store.ts';
import { deliverPendingMessages, type DeliveryOutcome, type InTenant } from './deliver-collaboration-messages.ts';
import { parseDocument } from './import-collaboration.ts';

export interface PullOutcome {
  readonly nodeId: string;
  /** Statements taken in from that party's node. */
  readonly added: number;
  readonly error: string | null;
}

async function pullFrom(inTenant: InTenant, identity: NodeIdentity, id: string, party: { nodeId: string; baseUrl: string }): Promise<PullOutcome> {
  try {
    const doc = parseDocument(await callPeer(identity, party, 'GET', `/v1/node/collaborations/${id}`), party.nodeId);
    return await inTenant(async (trx) => {
      const c = await loadForChange(trx, id, new Date());
      if (doc.termsHash !== Buffer.from(c.termsHash).toString('hex')) throw new CollaborationError('ACCORD_ERR_COLLABORATION_SIGNATURE', 'that party holds other terms under this id');
      let added = 0;
      for (const approval of doc.approvals) if (await acceptApproval(trx, c, approval)) added++;
      for (const revocation of doc.revocations) if (await acceptRevocation(trx, c, revocation)) added++;
      return { nodeId: party.nodeId, added, error: null };
    });
  } catch (error) {
    return { nodeId: party.nodeId, added: 0, error: (error as Error).message };
  }
}

export async function syncCollaboration(inTenant: InTenant, identity: NodeIdentity, id: string): Promise<{ deliveries: DeliveryOutcome[]; pulled: PullOutcome[] }> {
  const parties = await inTenant(async (trx) => {
    const c = await loadCollaboration(trx, id);
    if (!c) throw new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `collaboration ${id} not found`);
    const others = c.terms.parties.filter((p) => p.nodeId !== identity.nodeId).map((p) => p.nodeId);
    const peers = await trx.selectFrom('peers').select(['node_id', 'base_url']).where('node_id', 'in', others).execute();
    return others.map((nodeId) => ({ nodeId, baseUrl: peers.find((p) => p.node_id === nodeId)?.base_url }));
  });
  const deliveries = await deliverPendingMessages(inTenant, identity, id);
  const pulled = await Promise.all(
    parties.map((party) => {
      if (party.baseUrl === undefined) return { nodeId: party.nodeId, added: 0, error: 'not a registered peer of this tenant' };
      // An offline party has nothing to pull from: its statements arrive when it pushes them.
      if (isOfflineBaseUrl(party.baseUrl)) return { nodeId: party.nodeId, added: 0, error: null };
      return pullFrom(inTenant, identity, id, { nodeId: party.nodeId, baseUrl: party.baseUrl });
    }),
  );
  return { deliveries, pulled };
}
