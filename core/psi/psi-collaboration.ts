/**
 * What a PSI run needs from its collaboration: the effective (strictest) terms, this node's and the
 * other parties' pinned keys, and the guard policy those terms imply. Only a runnable (approved,
 * unexpired, unrevoked) collaboration loads, except when a failed run is being closed.
 */
import type { Regime } from '../../consent/consent-event.ts';
import type { PsiSuite } from '../../crypto/psi/suites.ts';
import { loadCollaboration } from '../collaborations/collaboration-store.ts';
import { publicKeyOfParty, type CollaborationTerms, type PartyRole } from '../collaborations/collaboration-terms.ts';
import { requireRunnableCollaboration } from '../collaborations/require-runnable-collaboration.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { parseGuardPolicy, type GuardPolicy } from '../guard/guard-policy.ts';
import { PsiRunError } from './psi-run-error.ts';

export interface PeerNode {
  readonly nodeId: string;
  readonly publicKey: Uint8Array;
}

export interface PsiParty extends PeerNode {
  readonly role: PartyRole;
}

export interface PsiCollaboration {
  readonly id: string;
  readonly suite: PsiSuite;
  /** Priority order. */
  readonly idTypes: string[];
  readonly purpose: string;
  /** Who receives the people processed: the gate checks consent for every one of them. */
  readonly recipients: readonly string[];
  readonly regime: Regime;
  readonly outputs: CollaborationTerms['outputs'];
  readonly policy: GuardPolicy;
  readonly self: PsiParty;
  readonly parties: readonly PsiParty[];
  /** This node's input when it answers a run: every consented person of the tenant. */
  readonly serverSegmentId: number | null;
}

/** Collaborations carry no regime yet; Accord's home regime decides the legal basis the gate applies. */
const REGIME: Regime = 'pipl';

export async function loadPsiCollaboration(trx: TenantTransaction, selfNodeId: string, id: string, at: Date, options: { allowClosed?: boolean } = {}): Promise<PsiCollaboration> {
  const collaboration = options.allowClosed ? await loadCollaboration(trx, id, at) : await requireRunnableCollaboration(trx, id, at);
  if (!collaboration) throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `collaboration ${id} not found`);
  const terms = collaboration.effective;
  const parties = terms.parties.map((party) => ({ nodeId: party.nodeId, publicKey: publicKeyOfParty(party), role: party.role }));
  const self = parties.find((party) => party.nodeId === selfNodeId);
  if (!self) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `this node is not a party to collaboration ${id}`);
  return {
    id,
    suite: terms.suite,
    idTypes: terms.idTypes,
    purpose: terms.purpose,
    recipients: terms.recipients,
    regime: REGIME,
    outputs: terms.outputs,
    policy: parseGuardPolicy({
      minOverlap: terms.minOverlap,
      minCellSize: terms.minCellSize,
      noise: terms.noise ? { epsilonPerRelease: terms.noise.epsilonPerRun, totalEpsilon: terms.noise.totalEpsilon } : null,
      maxRunsPerDay: terms.maxRunsPerDay,
      runBudget: terms.runBudget,
      maxSetSize: terms.maxSetSize,
      minInputSize: terms.minInputSize,
      declaredSizeTolerance: terms.declaredSizeTolerance,
    }),
    self,
    parties,
    serverSegmentId: null,
  };
}

/** The party a request came from, by the key the collaboration pinned for it — not any key the node has. */
export function partyOf(collaboration: PsiCollaboration, peer: PeerNode): PsiParty {
  const party = collaboration.parties.find((p) => p.nodeId === peer.nodeId && p !== collaboration.self);
  if (!party || Buffer.compare(party.publicKey, peer.publicKey) !== 0) {
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `node ${peer.nodeId} is not a party to collaboration ${collaboration.id} under this key`);
  }
  return party;
}

/** The other party of a two-party collaboration, or the named one. */
export function peerFor(collaboration: PsiCollaboration, nodeId?: string): PsiParty {
  const others = collaboration.parties.filter((party) => party !== collaboration.self);
  const peer = nodeId ? others.find((party) => party.nodeId === nodeId) : others.length === 1 ? others[0] : undefined;
  if (!peer) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', nodeId ? `node ${nodeId} is not a party to collaboration ${collaboration.id}` : `collaboration ${collaboration.id} has several other parties: name one (peerNodeId)`);
  return peer;
}

/** Whether a party in this role may learn which of its own people matched, under these outputs. */
export function learnsMembers(outputs: Pick<CollaborationTerms['outputs'], 'matchedToBrand' | 'matchedToPartner'>, role: PartyRole): boolean {
  // A data provider contributes features; the terms have no output that hands it members.
  if (role === 'provider') return false;
  return role === 'brand' ? outputs.matchedToBrand : outputs.matchedToPartner;
}

/** Where to reach a party: the tenant's peer registry holds its base URL under the same pinned key. */
export async function peerAddressOf(trx: TenantTransaction, collaboration: PsiCollaboration, nodeId: string): Promise<PsiParty & { baseUrl: string }> {
  const party = peerFor(collaboration, nodeId);
  const peer = await trx.selectFrom('peers').select(['base_url', 'public_key']).where('node_id', '=', nodeId).executeTakeFirst();
  if (!peer || Buffer.compare(peer.public_key, party.publicKey) !== 0) {
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `node ${nodeId} is not registered as a peer under the key the collaboration pins`);
  }
  return { ...party, baseUrl: peer.base_url };
}
