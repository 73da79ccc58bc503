/** The tenant's registry of peer nodes and their pinned keys. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import { isOfflineBaseUrl } from '../../core/peers/offline-party.ts';
import { findPeer, listPeers, registerPeer } from '../../core/peers/peers.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const base64Key = z
  .string()
  .regex(/^[A-Za-z0-9+/]{43}=$/, '32 bytes in base64')
  .transform((value) => new Uint8Array(Buffer.from(value, 'base64')));

const peer = z.object({
  id: z.uuid(),
  nodeId: z.uuid(),
  name: z.string(),
  /** Null for an offline party (the `accord psi` CLI): it calls this node, never the other way. */
  baseUrl: z.string().nullable(),
  publicKey: z.string(),
  createdAt: z.string(),
});

type PeerRow = Awaited<ReturnType<typeof listPeers>>[number];

const toPeer = (row: PeerRow): z.output<typeof peer> => ({
  id: row.id,
  nodeId: row.node_id,
  name: row.name,
  baseUrl: isOfflineBaseUrl(row.base_url) ? null : row.base_url,
  publicKey: Buffer.from(row.public_key).toString('base64'),
  createdAt: row.created_at.toISOString(),
});

export const peerRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.post(
    '/v1/peers',
    {
      config: { scope: 'peers:write' },
      schema: {
        tags: ['peers'],
        summary: "Register a peer node and pin its Ed25519 key (from its /.well-known/accord-node); without baseUrl, an offline party (accord psi)",
        body: z.object({
          nodeId: z.uuid(),
          name: z.string().min(1).max(200),
          baseUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
          publicKey: base64Key,
        }),
        response: { 201: peer },
      },
    },
    async (request, reply) => {
      const row = await inCallerTenant(db, request, (trx) => registerPeer(trx, actorOf(request), request.body));
      return reply.code(201).send(toPeer(row));
    },
  );

  app.get(
    '/v1/peers',
    { config: { scope: 'peers:read' }, schema: { tags: ['peers'], summary: 'List peers', response: { 200: z.object({ items: z.array(peer) }) } } },
    async (request) => ({ items: (await inCallerTenant(db, request, listPeers)).map(toPeer) }),
  );

  app.get(
    '/v1/peers/:id',
    {
      config: { scope: 'peers:read' },
      schema: { tags: ['peers'], summary: 'One peer', params: z.object({ id: z.uuid() }), response: { 200: peer } },
    },
    async (request) => {
      const row = await inCallerTenant(db, request, (trx) => findPeer(trx, request.params.id));
      if (!row) throw notFound('peer');
      return toPeer(row);
    },
  );
};
