/**
 * Federated scoring between nodes (signed node requests, api/plugins/node-auth.ts): a model spec
 * proposed by the brand, the provider's approval, row alignment, the step messages of training, and
 * the provider's partial scores for lead scoring. Each request is answered in the tenant that holds
 * the collaboration (or model) with this peer.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import { withTenant, type TenantTransaction } from '../../core/db/tenant-scope.ts';
import { releaseLeadPartials, partialScoresBody } from '../../core/scoring/lead-scoring.ts';
import { lookalikeNodeBody, materialiseLookalike } from '../../core/scoring/lookalike-expansion.ts';
import { approvalBody, proposalBody, receiveApproval, receiveProposal } from '../../core/scoring/model-proposals.ts';
import { receiveStepMessage } from '../../core/scoring/receive-step-message.ts';
import { ScoringError } from '../../core/scoring/scoring-errors.ts';
import type { ScoringNode } from '../../core/scoring/scoring-node.ts';
import { alignBody, alignRows } from '../../core/scoring/start-training.ts';
import { peerNodeOf, type PeerNode } from '../plugins/node-auth.ts';

const tags = ['node-to-node'];
const idParams = z.object({ id: z.uuid() });

export const modelNodeRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; scoring: ScoringNode }> = async (app, { db, scoring }) => {
  async function inTenantHolding<T>(peer: PeerNode, table: 'collaborations' | 'scoring_models', id: string, work: (trx: TenantTransaction) => Promise<T>): Promise<T> {
    for (const tenantId of peer.tenantIds) {
      const holds = await withTenant(db, tenantId, async (trx) => (await trx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst()) !== undefined);
      if (holds) return withTenant(db, tenantId, work);
    }
    throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no ${table === 'collaborations' ? 'collaboration' : 'model'} ${id} with this node`);
  }

  app.post(
    '/v1/node/models',
    { config: { nodeAuth: true }, bodyLimit: 1_048_576, schema: { tags, summary: 'A model spec the brand proposes, with its signed approval', body: proposalBody } },
    async (request, reply) => {
      const peer = peerNodeOf(request);
      await inTenantHolding(peer, 'collaborations', request.body.spec.collaborationId, (trx) => receiveProposal(scoring, trx, peer, request.body));
      return reply.code(201).send({});
    },
  );

  app.post(
    '/v1/node/models/:id/approval',
    { config: { nodeAuth: true }, schema: { tags, summary: "The provider's signed approval of a model spec", params: idParams, body: approvalBody } },
    async (request) => {
      const peer = peerNodeOf(request);
      await inTenantHolding(peer, 'scoring_models', request.params.id, (trx) => receiveApproval(scoring, trx, peer, request.params.id, request.body.approval));
      return {};
    },
  );

  app.post(
    '/v1/node/models/:id/align',
    { config: { nodeAuth: true }, bodyLimit: 256 * 1_048_576, schema: { tags, summary: "The brand's row keys in its order; the provider answers which rows it holds and may use", params: idParams, body: alignBody } },
    async (request) => {
      const peer = peerNodeOf(request);
      return inTenantHolding(peer, 'scoring_models', request.params.id, (trx) => alignRows(scoring, trx, peer, request.params.id, request.body.rows));
    },
  );

  app.post(
    '/v1/node/models/:id/messages/:kind/:step',
    {
      config: { nodeAuth: true },
      bodyLimit: 512 * 1_048_576,
      schema: { tags, summary: 'One step message of training, into this party’s inbox', params: idParams.extend({ kind: z.string().regex(/^[a-z][a-z-]{0,39}$/), step: z.coerce.number().int().min(0).max(10_000_000) }) },
    },
    async (request) => {
      const peer = peerNodeOf(request);
      if (!(request.body instanceof Buffer)) throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_MALFORMED', 'a step message is sent as application/octet-stream');
      const bytes = new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength);
      return inTenantHolding(peer, 'scoring_models', request.params.id, (trx) => receiveStepMessage(trx, peer, request.params.id, request.params.kind, request.params.step, bytes));
    },
  );

  app.post(
    '/v1/node/models/:id/partial-scores',
    { config: { nodeAuth: true }, bodyLimit: 64 * 1_048_576, schema: { tags, summary: "Coarsened provider partial scores for the brand's leads, after the provider's audit", params: idParams, body: partialScoresBody } },
    async (request) => {
      const peer = peerNodeOf(request);
      return inTenantHolding(peer, 'scoring_models', request.params.id, (trx) => releaseLeadPartials(scoring, trx, peer, request.params.id, request.body));
    },
  );

  app.post(
    '/v1/node/models/:id/lookalikes',
    { config: { nodeAuth: true }, bodyLimit: 64 * 1_048_576, schema: { tags, summary: 'A lookalike expansion: the provider materialises the audience and answers with aggregates only', params: idParams, body: lookalikeNodeBody } },
    async (request) => {
      const peer = peerNodeOf(request);
      return inTenantHolding(peer, 'scoring_models', request.params.id, (trx) => materialiseLookalike(scoring, trx, peer, request.params.id, request.body));
    },
  );
};
