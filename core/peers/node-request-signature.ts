/**
 * Signed node-to-node HTTP requests. The sender signs, with its node key (Ed25519), one string that
 * binds who sends, who receives, the method, the path with its query, a timestamp, a nonce and the
 * SHA-256 of the body bytes. The receiver accepts it only within a clock window, only once per
 * nonce (the caller stores nonces), and only under a key it pinned for the sending node.
 * Naming the receiver in the signed string stops a request captured on its way to one node from
 * being replayed to another, whose nonce store has never seen it. The receiver is also sent in a
 * header, so that it, the sender and the clock window can be checked before the body is read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { verify } from '../../crypto/ed25519.ts';
import { PeerError } from './peer-errors.ts';

export const NODE_HEADER = 'accord-node';
export const RECIPIENT_HEADER = 'accord-recipient';
export const TIMESTAMP_HEADER = 'accord-timestamp';
export const NONCE_HEADER = 'accord-nonce';
export const SIGNATURE_HEADER = 'accord-signature';

/** How far a request's timestamp may be from the receiver's clock, either way. */
export const CLOCK_WINDOW_MS = 5 * 60_000;

const CONTEXT = 'accord-node-request/v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
const SIGNATURE = /^[A-Za-z0-9+/]{86}==$/;

export interface NodeRequestTarget {
  /** The sending node. */
  readonly sender: string;
  /** The node the request is for. */
  readonly recipient: string;
  readonly method: string;
  readonly pathWithQuery: string;
  readonly body: Uint8Array;
}

export interface NodeRequestStamp {
  /** Unix time in seconds. */
  readonly timestamp: number;
  readonly nonce: string;
}

export function nodeRequestMessage(target: NodeRequestTarget, stamp: NodeRequestStamp): Uint8Array {
  const bodyHash = createHash('sha256').update(target.body).digest('hex');
  const lines = [CONTEXT, target.sender, target.recipient, target.method.toUpperCase(), target.pathWithQuery, String(stamp.timestamp), stamp.nonce, bodyHash];
  return new TextEncoder().encode(lines.join('\n'));
}

/** The five headers a signed request carries. */
export function signNodeRequest(sign: (message: Uint8Array) => Uint8Array, target: NodeRequestTarget, now = new Date()): Record<string, string> {
  const stamp = { timestamp: Math.floor(now.getTime() / 1000), nonce: randomBytes(18).toString('base64url') };
  return {
    [NODE_HEADER]: target.sender,
    [RECIPIENT_HEADER]: target.recipient,
    [TIMESTAMP_HEADER]: String(stamp.timestamp),
    [NONCE_HEADER]: stamp.nonce,
    [SIGNATURE_HEADER]: Buffer.from(sign(nodeRequestMessage(target, stamp))).toString('base64'),
  };
}

export interface PresentedSignature extends NodeRequestStamp {
  readonly sender: string;
  /** The node the sender says the request is for; the signature binds it. */
  readonly recipient: string;
  readonly signature: Uint8Array;
}

/** Reads the headers; anything missing or malformed is refused before any key is looked up. */
export function presentedSignature(headers: Record<string, string | string[] | undefined>): PresentedSignature {
  const value = (name: string) => {
    const found = headers[name];
    return typeof found === 'string' ? found : undefined;
  };
  const sender = value(NODE_HEADER);
  const recipient = value(RECIPIENT_HEADER);
  const timestamp = value(TIMESTAMP_HEADER);
  const nonce = value(NONCE_HEADER);
  const signature = value(SIGNATURE_HEADER);
  if (!sender || !recipient || !timestamp || !nonce || !signature) {
    throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', `a node request carries ${[NODE_HEADER, RECIPIENT_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER].join(', ')}`);
  }
  if (!UUID.test(sender) || !UUID.test(recipient) || !TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !SIGNATURE.test(signature)) {
    throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', 'a node request header is malformed');
  }
  return { sender, recipient, timestamp: Number(timestamp), nonce, signature: new Uint8Array(Buffer.from(signature, 'base64')) };
}

export function checkClockWindow(stamp: NodeRequestStamp, now = new Date()): void {
  if (Math.abs(stamp.timestamp * 1000 - now.getTime()) > CLOCK_WINDOW_MS) {
    throw new PeerError('ACCORD_ERR_NODE_CLOCK_SKEW', `the request was signed at ${new Date(stamp.timestamp * 1000).toISOString()}, more than ${CLOCK_WINDOW_MS / 60_000} minutes from this node's clock`);
  }
}

export function verifyNodeRequest(presented: PresentedSignature, target: NodeRequestTarget, publicKey: Uint8Array): boolean {
  return presented.sender === target.sender && presented.recipient === target.recipient && verify(presented.signature, nodeRequestMessage(target, presented), publicKey);
}
