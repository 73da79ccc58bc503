/**
 * Federated models over HTTP: the brand proposes a model spec in a collaboration that allows
 * scoring, the provider approves it (both signatures travel between the nodes), the brand starts
 * training (a job on each node) and either party watches progress and reads the model card; the
 * brand then asks for lead scores, stored as tags on its side.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import { leadScoreRequestSchema, scoreLeads } from '../../core/scoring/lead-scoring.ts';
import { expandLookalike, findLookalike, lookalikeRequestSchema } from '../../core/scoring/lookalike-expansion.ts';
import { ScoringError } from '../../core/scoring/scoring-errors.ts';
import { modelConstraintsSchema } from '../../core/scoring/model-agreement.ts';
import { modelCard } from '../../core/scoring/model-card.ts';
import { approveModel, deliverApproval, effectiveSpecOf, modelProposalSchema, proposeModel } from '../../core/scoring/model-proposals.ts';
import { listModels, requireModel, type ModelRecord } from '../../core/scoring/model-store.ts';
import type { ScoringNode } from '../../core/scoring/scoring-node.ts';
import { startTraining } from '../../core/scoring/start-training.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const modelView = z.object({
  id: z.uuid(),
  collaborationId: z.uuid(),
  role: z.enum(['brand', 'provider']),
  peerNodeId: z.uuid(),
  name: z.string(),
  target: z.enum(['speed', 'revenue', 'lookalike']),
  status: z.enum(['proposed', 'approved', 'training', 'trained', 'failed']),
  spec: z.unknown().describe('The spec the brand proposed and both parties signed'),
  effectiveSpec: z.unknown().describe('The spec with the strictest of both parties’ constraints applied'),
  approvals: z.array(z.object({ nodeId: z.string(), constraints: z.unknown() })),
  progress: z.array(z.object({ epoch: z.number(), step: z.number(), validationLoss: z.number().nullable().optional(), validationAuc: z.number().nullable().optional(), at: z.string() })),
  error: z.string().nullable(),
  createdAt: z.string(),
});

const toView = (model: ModelRecord): z.output<typeof modelView> => ({
  id: model.id,
  collaborationId: model.collaborationId,
  role: model.role,
  peerNodeId: model.peerNodeId,
  name: model.spec.name,
  target: model.spec.target,
  status: model.status,
  spec: model.spec,
  effectiveSpec: effectiveSpecOf(model),
  approvals: model.approvals.map((a) => ({ nodeId: a.nodeId, constraints: a.constraints })),
  progress: model.progress,
  error: model.error,
  createdAt: model.createdAt.toISOString(),
});

const idParams = z.object({ id: z.uuid() });
const tags = ['models'];

export const modelRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; scoring: ScoringNode }> = async (app, { db, scoring }) => {
  app.post(
    '/v1/models',
    { config: { scope: 'models:write' }, schema: { tags, summary: 'Propose a model (brand): its label and features, the provider’s tags, batch size, epochs and label-DP σ', body: modelProposalSchema, response: { 201: modelView } } },
    async (request, reply) => reply.code(201).send(toView(await inCallerTenant(db, request, (trx) => proposeModel(scoring, trx, request.body, actorOf(request))))),
  );

  app.get(
    '/v1/models',
    { config: { scope: 'models:read' }, schema: { tags, summary: 'This tenant’s models, newest first', querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }), response: { 200: z.object({ items: z.array(modelView) }) } } },
    async (request) => ({ items: (await inCallerTenant(db, request, (trx) => listModels(trx, request.query.limit))).map(toView) }),
  );

  app.get(
    '/v1/models/:id',
    { config: { scope: 'models:read' }, schema: { tags, summary: 'A model with its status and live progress (epoch, validation loss and AUC at the brand)', params: idParams, response: { 200: modelView } } },
    async (request) => toView(await inCallerTenant(db, request, (trx) => requireModel(trx, request.params.id))),
  );

  app.get(
    '/v1/models/:id/card',
    { config: { scope: 'models:read' }, schema: { tags, summary: 'The model card as this party may see it', params: idParams } },
    async (request) => inCallerTenant(db, request, async (trx) => modelCard(trx, await requireModel(trx, request.params.id))),
  );

  app.post(
    '/v1/models/:id/approve',
    { config: { scope: 'models:write' }, schema: { tags, summary: 'Approve a proposed model (provider), with constraints that may only tighten it', params: idParams, body: z.object({ constraints: modelConstraintsSchema.default({}) }).strict(), response: { 200: modelView } } },
    async (request) => {
      const { model, approval } = await inCallerTenant(db, request, (trx) => approveModel(scoring, trx, request.params.id, request.body.constraints, actorOf(request)));
      // Sent once the approval is committed: a failed delivery is repeated by approving again.
      await inCallerTenant(db, request, (trx) => deliverApproval(scoring, trx, model, approval));
      return toView(model);
    },
  );

  app.post(
    '/v1/models/:id/train',
    { config: { scope: 'models:write' }, schema: { tags, summary: 'Start training an approved model (brand): rows aligned from the spec’s PSI run, then a job on each node', params: idParams, response: { 202: modelView } } },
    async (request, reply) => reply.code(202).send(toView(await startTraining(scoring, (work) => inCallerTenant(db, request, work), request.params.id, actorOf(request)))),
  );

  app.post(
    '/v1/scores',
    {
      config: { scope: 'scores:write' },
      schema: {
        tags,
        summary: 'Lead scores (brand): speed and revenue in 0..1 for a segment of at least 100 leads, stored as tags',
        body: leadScoreRequestSchema,
        response: { 200: z.object({ requested: z.number(), scored: z.number(), tags: z.object({ speed: z.string(), revenue: z.string().nullable() }) }) },
      },
    },
    async (request) => scoreLeads(scoring, (work) => inCallerTenant(db, request, work), request.body, actorOf(request)),
  );

  app.post(
    '/v1/lookalikes',
    {
      config: { scope: 'scores:write' },
      schema: { tags, summary: 'Expand a lookalike model’s seed at chosen sizes (brand): the provider keeps the audience; the brand gets size, recall, lift and a guarded histogram', body: lookalikeRequestSchema },
    },
    async (request, reply) => reply.code(201).send(await expandLookalike(scoring, (work) => inCallerTenant(db, request, work), request.body, actorOf(request))),
  );

  app.get(
    '/v1/lookalikes/:id',
    { config: { scope: 'models:read' }, schema: { tags, summary: 'A lookalike expansion’s aggregate report', params: idParams } },
    async (request) => {
      const found = await inCallerTenant(db, request, (trx) => findLookalike(trx, request.params.id));
      if (!found) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no lookalike ${request.params.id}`);
      return found;
    },
  );
};
