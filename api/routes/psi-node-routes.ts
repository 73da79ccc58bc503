/**
 * The server side of the PSI protocol (core/psi/psi-protocol.ts) as node-to-node endpoints. Every
 * request is signed by the client's key (api/plugins/node-auth.ts), and the client must be a party
 * to the collaboration under that same key; every frame inside is signed again and bound to the run.
 * The run lives in the tenant that holds the collaboration.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import { withTenant, type TenantTransaction } from '../../core/db/tenant-scope.ts';
import type { PsiNode } from '../../core/psi/psi-node.ts';
import { clientFetchStreams, clientSendStreams, failRunBody, finishRunBody, serverRunView, startRunBody } from '../../core/psi/psi-protocol.ts';
import { PsiRunError } from '../../core/psi/psi-run-error.ts';
import { requireRun } from '../../core/psi/psi-runs.ts';
import { acceptPsiRun, failServerRun, finishServerRun, receiveClientFrame, serveFrame, serverRunView as viewOf } from '../../core/psi/psi-server.ts';
import { peerNodeOf, type PeerNode } from '../plugins/node-auth.ts';

const tags = ['node-to-node'];
const runParams = z.object({ collaborationId: z.uuid(), runId: z.uuid() });
const frameParams = runParams.extend({ idType: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/) });
const base = '/v1/node/collaborations/:collaborationId/psi-runs';

export const psiNodeRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; psi: PsiNode }> = async (app, { db, psi }) => {
  /** The sender's tenant that holds this collaboration; "not found" for anyone else. */
  async function inCollaborationTenant<T>(peer: PeerNode, collaborationId: string, work: (trx: TenantTransaction) => Promise<T>): Promise<T> {
    for (const tenantId of peer.tenantIds) {
      const holds = await withTenant(db, tenantId, async (trx) => (await trx.selectFrom('collaborations').select('id').where('id', '=', collaborationId).executeTakeFirst()) !== undefined);
      if (holds) return withTenant(db, tenantId, work);
    }
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `no collaboration ${collaborationId} with this node`);
  }

  app.post(
    base,
    { config: { nodeAuth: true }, schema: { tags, summary: 'Start a PSI run as its server (signed node request)', params: z.object({ collaborationId: z.uuid() }), body: startRunBody, response: { 202: serverRunView } } },
    async (request, reply) => {
      if (request.body.collaborationId !== request.params.collaborationId) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', 'the body names another collaboration');
      const peer = peerNodeOf(request);
      return reply.code(202).send(await inCollaborationTenant(peer, request.params.collaborationId, (trx) => acceptPsiRun(trx, psi, peer, request.body)));
    },
  );

  app.get(
    `${base}/:runId`,
    { config: { nodeAuth: true }, schema: { tags, summary: "The server's view of a run", params: runParams, response: { 200: serverRunView } } },
    async (request) => {
      const peer = peerNodeOf(request);
      return inCollaborationTenant(peer, request.params.collaborationId, async (trx) => {
        const run = await requireRun(trx, request.params.runId);
        if (run.role !== 'server' || run.peer_node_id !== peer.nodeId || run.collaboration_id !== request.params.collaborationId) throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', 'no such run with this node');
        return viewOf(trx, run);
      });
    },
  );

  app.post(
    `${base}/:runId/frames/:idType/:stream`,
    {
      config: { nodeAuth: true },
      bodyLimit: 20 * 1024 * 1024,
      schema: { tags, summary: 'One signed frame from the client', params: frameParams.extend({ stream: z.enum(clientSendStreams) }), response: { 200: serverRunView } },
    },
    async (request) => {
      const peer = peerNodeOf(request);
      const { collaborationId, runId, idType, stream } = request.params;
      if (!(request.body instanceof Buffer)) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', 'a frame is sent as application/octet-stream');
      return inCollaborationTenant(peer, collaborationId, (trx) => receiveClientFrame(trx, psi, peer, runId, idType, stream, new Uint8Array(request.body as Buffer)));
    },
  );

  app.get(
    `${base}/:runId/frames/:idType/:stream/:seq`,
    { config: { nodeAuth: true }, schema: { tags, summary: 'One signed frame of the server', params: frameParams.extend({ stream: z.enum(clientFetchStreams), seq: z.coerce.number().int().min(0).max(1_000_000) }) } },
    async (request, reply) => {
      const peer = peerNodeOf(request);
      const { collaborationId, runId, idType, stream, seq } = request.params;
      const frame = await inCollaborationTenant(peer, collaborationId, (trx) => serveFrame(trx, psi, peer, runId, idType, stream, seq));
      return reply.type('application/octet-stream').send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    },
  );

  app.post(
    `${base}/:runId/finish`,
    { config: { nodeAuth: true }, schema: { tags, summary: "The client's finish: the server releases what its guard allows", params: runParams, body: finishRunBody, response: { 200: serverRunView } } },
    async (request) => {
      const peer = peerNodeOf(request);
      return inCollaborationTenant(peer, request.params.collaborationId, (trx) => finishServerRun(trx, psi, peer, request.params.runId, request.body));
    },
  );

  app.post(
    `${base}/:runId/fail`,
    { config: { nodeAuth: true }, schema: { tags, summary: 'The client gave up: the run ends and nothing is released', params: runParams, body: failRunBody } },
    async (request, reply) => {
      const peer = peerNodeOf(request);
      await inCollaborationTenant(peer, request.params.collaborationId, (trx) => failServerRun(trx, peer, request.params.runId, request.body.reason));
      return reply.code(204).send();
    },
  );
};
