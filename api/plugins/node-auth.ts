/**
 * Node-to-node authentication. A route declares `config: { nodeAuth: true }` instead of an API-key
 * scope; its requests must be signed by a peer node (core/peers/node-request-signature.ts): the
 * signature covers the raw body bytes, the timestamp must be within the clock window, the nonce
 * unused, and the key one that a tenant of this node pinned for the sending node. The route then
 * finds `request.peerNode`, with the tenants that pinned that key: it may act only in those.
 * Before a byte of the body is read, the headers must be well formed, name this node as the
 * recipient and a sender some tenant pinned, and be stamped within the clock window: a stranger's
 * upload is refused at once, not after buffering up to the route's limit (20 MiB for PSI frames).
 * Then the body is read and the signature over its digest checked, before anything parses it.
 * Bodies may be JSON or `application/octet-stream` (handed to the route as a Buffer).
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { rememberNonce } from '../../core/peers/node-request-nonces.ts';
import { checkClockWindow, presentedSignature, verifyNodeRequest, type PresentedSignature } from '../../core/peers/node-request-signature.ts';
import { PeerError } from '../../core/peers/peer-errors.ts';
import { pinnedKeysOf, type PinnedKey } from '../../core/peers/pinned-peer-keys.ts';
import { ApiError } from '../errors.ts';

export interface PeerNode {
  readonly nodeId: string;
  readonly publicKey: Uint8Array;
  /** The tenants that pinned this key for the node. */
  readonly tenantIds: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Only signed requests from a pinned peer node: one of the three ways a route is authenticated (auth.ts). */
    nodeAuth?: true;
  }
  interface FastifyRequest {
    peerNode?: PeerNode;
  }
}

async function readBody(payload: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += bytes.length;
    if (size > limit) throw new ApiError('ACCORD_ERR_PAYLOAD_TOO_LARGE', `the body is larger than ${limit} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

const UNTRUSTED = 'the request is not signed by a key pinned for that node';

interface Admitted {
  readonly presented: PresentedSignature;
  readonly pinned: readonly PinnedKey[];
}

/** What the headers alone can refuse: their shape, the recipient, the clock, an unknown sender. */
async function admitHeaders(db: Kysely<Database>, identity: NodeIdentity, request: FastifyRequest): Promise<Admitted> {
  const presented = presentedSignature(request.headers);
  if (presented.recipient !== identity.nodeId) throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', 'the request is addressed to another node');
  checkClockWindow(presented);
  const pinned = await pinnedKeysOf(db, presented.sender);
  // Unknown node and wrong signature get the same answer.
  if (pinned.length === 0) throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', UNTRUSTED);
  return { presented, pinned };
}

/** The signature over the body's digest, under one of the keys pinned for the sender; then the nonce. */
async function authenticate(db: Kysely<Database>, request: FastifyRequest, { presented, pinned }: Admitted, body: Uint8Array): Promise<PeerNode> {
  const target = { sender: presented.sender, recipient: presented.recipient, method: request.method, pathWithQuery: request.url, body };
  const trusted = pinned.find((key) => verifyNodeRequest(presented, target, key.publicKey));
  if (!trusted) throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', UNTRUSTED);
  if (!(await rememberNonce(db, presented.sender, presented.nonce))) throw new PeerError('ACCORD_ERR_NODE_REPLAY', 'this nonce was already used: a node request is accepted once');
  return { nodeId: presented.sender, publicKey: trusted.publicKey, tenantIds: trusted.tenantIds };
}

export const nodeAuth = fp(async (app: FastifyInstance, { db, identity }: { db: Kysely<Database>; identity: NodeIdentity }) => {
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (request, body, done) => {
    if (!request.routeOptions.config.nodeAuth) {
      done(new ApiError('ACCORD_ERR_UNSUPPORTED_MEDIA_TYPE', 'application/octet-stream is taken only by node-to-node endpoints'), undefined);
      return;
    }
    done(null, body);
  });

  app.addHook('preParsing', async (request, reply, payload) => {
    if (!request.routeOptions.config.nodeAuth) return payload;
    const admitted = await admitHeaders(db, identity, request).catch((error: unknown) => {
      // Hang up after the answer: otherwise the server would go on reading the unread body to discard it.
      reply.header('connection', 'close');
      throw error;
    });
    const body = await readBody(payload, request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1_048_576);
    request.peerNode = await authenticate(db, request, admitted, body);
    return Readable.from(body.length > 0 ? [body] : []);
  });
});

/** The authenticated sending node; only for routes that declare nodeAuth. */
export function peerNodeOf(request: FastifyRequest): PeerNode {
  if (!request.peerNode) throw new Error(`route ${request.routeOptions.url} has no nodeAuth but needs a peer node`);
  return request.peerNode;
}
