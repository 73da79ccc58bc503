/**
 * What `accord psi` knows of a collaboration: the document the brand node serves (signed node request
 * GET /v1/node/collaborations/:id), checked here as a node checks one it imports. The terms must hash
 * to what the statements signed, every approval and revocation must verify under the key the terms
 * give its party, the serving node must have approved them (so they are the ones it proposed), this
 * party must be in them under its own key, and the serving node under the key it publishes (or the
 * one pinned with --server-key). Status and effective terms follow from the verified statements.
 */
import { z } from 'zod';
import { effectiveTerms, type EffectiveTerms } from '../core/collaborations/approval-constraints.ts';
import { CollaborationError } from '../core/collaborations/collaboration-errors.ts';
import type { CollaborationDocument } from '../core/collaborations/collaboration-document.ts';
import { statusAt, type CollaborationStatus } from '../core/collaborations/collaboration-status.ts';
import { publicKeyOfParty, type Party } from '../core/collaborations/collaboration-terms.ts';
import { checkDocument, parseDocument } from '../core/collaborations/import-collaboration.ts';
import { checkRunnable } from '../core/collaborations/require-runnable-collaboration.ts';
import type { NodeIdentity } from '../core/identity/node-identity.ts';
import { callPeer, type PeerAddress } from '../core/peers/peer-client.ts';
import { networkFailureReason } from '../core/peers/network-failure-reason.ts';
import { PeerError } from '../core/peers/peer-errors.ts';

export interface ServerNode extends PeerAddress {
  readonly publicKey: Uint8Array;
  /** How long to wait for each of its answers (`--timeout`). */
  readonly timeoutMs: number;
}

export interface FetchedCollaboration {
  readonly server: ServerNode;
  readonly document: CollaborationDocument;
  readonly termsHash: Uint8Array;
  readonly effective: EffectiveTerms;
  readonly status: CollaborationStatus;
  /** This party and the serving node's party, as the terms name them. */
  readonly self: Party;
  readonly serverParty: Party;
}

const wellKnown = z.object({ nodeId: z.uuid(), publicKey: z.string().regex(/^[A-Za-z0-9+/]{43}=$/) });

const sameKey = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

const jsonOrUndefined = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The node at `baseUrl`, by what it publishes at /.well-known/accord-node; `pinnedKey` (base64) must match when given. */
export async function serverNodeAt(baseUrl: string, pinnedKey: string | undefined, timeoutMs: number): Promise<ServerNode> {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/.well-known/accord-node`);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (error) {
    throw new PeerError('ACCORD_ERR_PEER_UNREACHABLE', `cannot read the node's identity at ${url}: ${networkFailureReason(error, url, timeoutMs)}`, {}, { cause: error });
  }
  if (!response.ok) throw new PeerError('ACCORD_ERR_PEER_UNREACHABLE', `cannot read the node's identity at ${url}: it answered ${response.status}`);
  const parsed = wellKnown.safeParse(jsonOrUndefined(text));
  if (!parsed.success) throw new PeerError('ACCORD_ERR_PEER_REFUSED', `${url} does not describe an Accord node`);
  if (pinnedKey !== undefined && parsed.data.publicKey !== pinnedKey) {
    throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', `the node at ${baseUrl} publishes key ${parsed.data.publicKey}, not the pinned ${pinnedKey}`);
  }
  return { nodeId: parsed.data.nodeId, baseUrl, publicKey: new Uint8Array(Buffer.from(parsed.data.publicKey, 'base64')), timeoutMs };
}

/** A refusal by the server node, said in terms of what the party can do about it. */
export function explainRefusal(error: unknown, server: ServerNode, identity: NodeIdentity): never {
  if (error instanceof PeerError && error.code === 'ACCORD_ERR_PEER_REFUSED') {
    const status = error.extensions.peerStatus;
    if (status === 401) {
      throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', `the node at ${server.baseUrl} does not accept this key for party ${identity.nodeId}: the brand must pin this key file's public key (accord psi keygen printed it). ${error.message}`, error.extensions);
    }
    if (status === 404) {
      throw new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `the node at ${server.baseUrl} has no such collaboration with party ${identity.nodeId} (${error.message})`);
    }
  }
  throw error;
}

export async function fetchCollaboration(identity: NodeIdentity, server: ServerNode, collaborationId: string, at = new Date()): Promise<FetchedCollaboration> {
  const body = await callPeer(identity, server, 'GET', `/v1/node/collaborations/${collaborationId}`, undefined, { timeoutMs: server.timeoutMs }).catch((error: unknown) => explainRefusal(error, server, identity));
  const document = parseDocument(body, server.nodeId);
  const termsHash = checkDocument(document, collaborationId, server.nodeId);
  const { terms } = document;
  const self = terms.parties.find((party) => party.nodeId === identity.nodeId);
  if (!self || !sameKey(publicKeyOfParty(self), identity.publicKey)) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `the terms do not name party ${identity.nodeId} under this key file's key`);
  }
  const serverParty = terms.parties.find((party) => party.nodeId === server.nodeId);
  if (!serverParty || !sameKey(publicKeyOfParty(serverParty), server.publicKey)) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_TERMS', `the node at ${server.baseUrl} is not a party of the terms under the key it publishes`);
  }
  const effective = effectiveTerms(terms, document.approvals.map((approval) => approval.constraints));
  const status = statusAt({ terms, effective, approvals: document.approvals, revocations: document.revocations }, at);
  return { server, document, termsHash, effective, status, self, serverParty };
}

/** Throws unless a run may use the collaboration now, saying why as a node does. */
export function requireRunnable(fetched: FetchedCollaboration): void {
  const { document, effective, status } = fetched;
  checkRunnable({
    id: document.terms.id,
    status,
    terms: document.terms,
    effective,
    approvals: document.approvals,
    revocations: document.revocations.map((revocation) => ({ ...revocation, revokedAt: new Date(revocation.revokedAt) })),
  });
}
