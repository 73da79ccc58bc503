/**
 * Node-to-node authentication. A route declares `config: { nodeAuth: true }` instead of an API-key
 * scope; its requests must be signed by a peer node (core/peers/node-request-signature.ts): the
 * signature covers the raw body bytes, the timestamp must be within the clock window, the nonce
 * unused, and the key one that a tenant of this node pinned for the sending node. The route then
 * finds `request.peerNode`, with the tenants that pinned that key: it may act only in those.
 * The check runs before the body is parsed, so nothing unauthenticated is parsed. Bodies may be JSON
 * or `application/octet-stream` (handed to the route as a Buffer), both within the app's bodyLimit.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { rememberNonce } from '../../core/peers/node-request-nonces.ts';
import { checkClockWindow, presentedSignature, verifyNodeRequest } from '../../core/peers/node-request-signature.ts';
import { PeerError } from '../../core/peers/peer-errors.ts';
import { pinnedKeysOf } from '../../core/peers/pinned-peer-keys.ts';
import { ApiError } from '../errors.ts';

export interface PeerNode {
  readonly nodeId: string;
  readonly publicKey: Uint8Array;
  /** The tenants that pinned this key for the node. */
  readonly tenantIds: readonly string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Only signed requests from a pinned peer node. */
    nodeAuth?: boolean;
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

async function authenticate(db: Kysely<Database>, identity: NodeIdentity, request: FastifyRequest, body: Uint8Array): Promise<PeerNode> {
  const presented = presentedSignature(request.headers);
  checkClockWindow(presented);
  const target = { sender: presented.sender, recipient: identity.nodeId, method: request.method, pathWithQuery: request.url, body };
  const trusted = (await pinnedKeysOf(db, presented.sender)).find((pinned) => verifyNodeRequest(presented, target, pinned.publicKey));
  // Unknown node and wrong signature get the same answer.
  if (!trusted) throw new PeerError('ACCORD_ERR_NODE_UNAUTHENTICATED', 'the request is not signed by a key pinned for that node');
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

  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.routeOptions.config.nodeAuth) return payload;
    const body = await readBody(payload, request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 1_048_576);
    request.peerNode = await authenticate(db, identity, request, body);
    return Readable.from(body.length > 0 ? [body] : []);
  });
});

/** The authenticated sending node; only for routes that declare nodeAuth. */
export function peerNodeOf(request: FastifyRequest): PeerNode {
  if (!request.peerNode) throw new Error(`route ${request.routeOptions.url} has no nodeAuth but needs a peer node`);
  return request.peerNode;
}
