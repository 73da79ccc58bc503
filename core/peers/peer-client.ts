/**
 * Calls to another Accord node, signed with this node's key (node-request-signature.ts). Redirects
 * are refused: a signed request goes to the pinned base URL or nowhere.
 */
import { canonicalJson } from '../../crypto/canonical-json.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { signNodeRequest } from './node-request-signature.ts';
import { networkFailureReason } from './network-failure-reason.ts';
import { isOfflineBaseUrl } from './offline-party.ts';
import { PeerError } from './peer-errors.ts';

export interface PeerAddress {
  readonly nodeId: string;
  readonly baseUrl: string;
}

/** How long a call waits for the peer's answer unless it says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

function encodeBody(body: Uint8Array | object | undefined, contentType: string | undefined): { bytes: Uint8Array; contentType: string | undefined } {
  if (body === undefined) return { bytes: new Uint8Array(0), contentType: undefined };
  if (body instanceof Uint8Array) return { bytes: body, contentType: contentType ?? 'application/octet-stream' };
  return { bytes: new TextEncoder().encode(canonicalJson(body)), contentType: contentType ?? 'application/json' };
}

/** Sends one signed request and returns the response as it came; network failures become ACCORD_ERR_PEER_UNREACHABLE. */
export async function signedRequest(
  identity: NodeIdentity,
  peer: PeerAddress,
  method: string,
  path: string,
  body?: Uint8Array | object,
  contentType?: string,
  options: { timeoutMs?: number } = {},
): Promise<Response> {
  if (isOfflineBaseUrl(peer.baseUrl)) throw new PeerError('ACCORD_ERR_PEER_OFFLINE', `node ${peer.nodeId} is an offline party with no address to call: it fetches and starts what it needs itself`);
  const url = new URL(peer.baseUrl.replace(/\/+$/, '') + path);
  const encoded = encodeBody(body, contentType);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers = signNodeRequest(identity.sign, {
    sender: identity.nodeId,
    recipient: peer.nodeId,
    method,
    pathWithQuery: url.pathname + url.search,
    body: encoded.bytes,
  });
  try {
    return await fetch(url, {
      method,
      headers: { ...headers, ...(encoded.contentType ? { 'content-type': encoded.contentType } : {}) },
      ...(body === undefined ? {} : { body: new Uint8Array(encoded.bytes) }),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new PeerError('ACCORD_ERR_PEER_UNREACHABLE', `${method} ${url.origin}${url.pathname} failed: ${networkFailureReason(error, url, timeoutMs)}`, {}, { cause: error });
  }
}

/**
 * A signed JSON call that must succeed: the parsed answer, or ACCORD_ERR_PEER_REFUSED carrying the
 * peer's status and problem code (`peerStatus`, `peerCode`) so callers can tell "unknown there" apart.
 */
export async function callPeer(identity: NodeIdentity, peer: PeerAddress, method: string, path: string, body?: object, options: { timeoutMs?: number } = {}): Promise<unknown> {
  const response = await signedRequest(identity, peer, method, path, body, undefined, options);
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    let problem: { code?: unknown; detail?: unknown } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      // Not problem+json: the status alone says enough.
    }
    const peerCode = typeof problem.code === 'string' ? problem.code : undefined;
    const detail = typeof problem.detail === 'string' ? `: ${problem.detail}` : '';
    throw new PeerError('ACCORD_ERR_PEER_REFUSED', `the peer answered ${response.status}${peerCode ? ` ${peerCode}` : ''}${detail}`, { peerStatus: response.status, peerCode });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PeerError('ACCORD_ERR_PEER_REFUSED', 'the peer answered with something that is not JSON', { peerStatus: response.status });
  }
}
