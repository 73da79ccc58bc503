/**
 * Collaborations over HTTP, for the tenant's own people: propose one, import one another node
 * proposed, read them with their approvals and effective terms, approve (signing with the node key),
 * revoke, and sync with the other parties. Approvals and revocations are sent to the other parties
 * right after they commit; what could not be sent stays pending, is retried by a job, and is shown
 * under `deliveries`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { approvalConstraintsSchema } from '../../core/collaborations/approval-constraints.ts';
import { approveCollaboration } from '../../core/collaborations/approve-collaboration.ts';
import { CollaborationError } from '../../core/collaborations/collaboration-errors.ts';
import { listCollaborations, loadCollaboration, type Collaboration } from '../../core/collaborations/collaboration-store.ts';
import { collaborationProposalSchema, createCollaboration } from '../../core/collaborations/create-collaboration.ts';
import { deliverPendingMessages, listDeliveries, type DeliveryOutcome, type InTenant } from '../../core/collaborations/deliver-collaboration-messages.ts';
import { importCollaboration } from '../../core/collaborations/import-collaboration.ts';
import { revokeCollaboration } from '../../core/collaborations/revoke-collaboration.ts';
import { syncCollaboration } from '../../core/collaborations/sync-collaboration.ts';
import type { Database } from '../../core/db/schema.ts';
import { guardTally, type GuardTally } from '../../core/guard/guard-ledger.ts';
import { MICROS_PER_EPSILON } from '../../core/guard/guard-policy.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const delivery = z.object({ toNodeId: z.string(), kind: z.enum(['approval', 'revocation']), status: z.enum(['pending', 'delivered']), attempts: z.number(), lastError: z.string().nullable() });

const collaborationView = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['proposed', 'approved', 'revoked', 'expired']),
  terms: z.unknown().describe('The terms every party signed (see POST /v1/collaborations)'),
  termsHash: z.string().describe('SHA-256 of the RFC 8785 canonical terms, hex'),
  effectiveTerms: z.unknown().describe('The terms with the strictest of every approving party’s constraints applied'),
  originNodeId: z.string(),
  approvals: z.array(z.object({ nodeId: z.string(), constraints: z.unknown(), approvedBy: z.string(), recordedAt: z.string() })),
  revocations: z.array(z.object({ nodeId: z.string(), reason: z.string(), revokedAt: z.string(), revokedBy: z.string() })),
  deliveries: z.array(delivery),
  guard: z
    .object({ runs: z.number(), runsLastDay: z.number(), epsilonSpent: z.number() })
    .describe("This node's output-guard ledger for the collaboration: runs admitted (ever, last 24 hours) and the privacy budget (ε) its released counts spent"),
  createdAt: z.string(),
});

const NO_RUNS: GuardTally = { runs: 0, runsLastDay: 0, secondsUntilSlot: null, epsilonMicrosSpent: 0 };

const toView = (c: Collaboration, deliveries: DeliveryOutcome[], tally: GuardTally): z.output<typeof collaborationView> => ({
  id: c.id,
  name: c.terms.name,
  status: c.status,
  terms: c.terms,
  termsHash: Buffer.from(c.termsHash).toString('hex'),
  effectiveTerms: c.effective,
  originNodeId: c.originNodeId,
  approvals: c.approvals.map((a) => ({ nodeId: a.nodeId, constraints: a.constraints, approvedBy: a.approvedBy, recordedAt: a.recordedAt.toISOString() })),
  revocations: c.revocations.map((r) => ({ nodeId: r.nodeId, reason: r.reason, revokedAt: r.revokedAt.toISOString(), revokedBy: r.revokedBy })),
  deliveries,
  guard: { runs: tally.runs, runsLastDay: tally.runsLastDay, epsilonSpent: tally.epsilonMicrosSpent / MICROS_PER_EPSILON },
  createdAt: c.createdAt.toISOString(),
});

const idParams = z.object({ id: z.uuid() });
const tags = ['collaborations'];

export const collaborationRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity }> = async (app, { db, identity }) => {
  const tenantOf =
    (request: Parameters<typeof inCallerTenant>[1]): InTenant =>
    (work) =>
      inCallerTenant(db, request, work);

  /** The collaboration as it stands now, with its deliveries; 404 when the tenant has none by that id. */
  const currentView = (inTenant: InTenant, id: string) =>
    inTenant(async (trx) => {
      const c = await loadCollaboration(trx, id);
      if (!c) throw new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `collaboration ${id} not found`);
      return toView(c, await listDeliveries(trx, id), await guardTally(trx, id));
    });

  app.post(
    '/v1/collaborations',
    {
      config: { scope: 'collaborations:write' },
      schema: { tags, summary: 'Propose a collaboration with registered peers; every party then approves it', body: collaborationProposalSchema, response: { 201: collaborationView } },
    },
    async (request, reply) => {
      const created = await inCallerTenant(db, request, (trx) => createCollaboration(trx, identity, request.body, actorOf(request)));
      return reply.code(201).send(toView(created, [], NO_RUNS));
    },
  );

  app.post(
    '/v1/collaborations/import',
    {
      config: { scope: 'collaborations:write' },
      schema: {
        tags,
        summary: 'Fetch a collaboration another party proposed (and approved) from its node, verify it against pinned keys, and keep it here',
        body: z.object({ fromPeer: z.uuid().describe('id of the peer (GET /v1/peers) whose node holds it'), collaborationId: z.uuid() }).strict(),
        response: { 201: collaborationView },
      },
    },
    async (request, reply) => {
      const imported = await importCollaboration(tenantOf(request), identity, request.body, actorOf(request));
      return reply.code(201).send(toView(imported, [], NO_RUNS));
    },
  );

  app.get(
    '/v1/collaborations',
    { config: { scope: 'collaborations:read' }, schema: { tags, summary: 'Every collaboration of the tenant, newest first', response: { 200: z.object({ items: z.array(collaborationView) }) } } },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const all = await listCollaborations(trx);
        return { items: await Promise.all(all.map(async (c) => toView(c, await listDeliveries(trx, c.id), await guardTally(trx, c.id)))) };
      }),
  );

  app.get(
    '/v1/collaborations/:id',
    { config: { scope: 'collaborations:read' }, schema: { tags, summary: 'One collaboration: terms, approvals, effective terms, status, deliveries', params: idParams, response: { 200: collaborationView } } },
    async (request) => currentView(tenantOf(request), request.params.id),
  );

  app.post(
    '/v1/collaborations/:id/approve',
    {
      config: { scope: 'collaborations:approve' },
      schema: {
        tags,
        summary: "Approve as this node's party, with optional constraints that only tighten the terms; the signed approval is sent to every other party",
        params: idParams,
        body: z.object({ constraints: approvalConstraintsSchema.default({}) }).strict().nullish().describe('optional'),
        response: { 200: collaborationView },
      },
    },
    async (request) => {
      const { id } = request.params;
      await inCallerTenant(db, request, (trx) => approveCollaboration(trx, identity, id, request.body?.constraints ?? {}, actorOf(request)));
      await deliverPendingMessages(tenantOf(request), identity, id);
      return currentView(tenantOf(request), id);
    },
  );

  app.post(
    '/v1/collaborations/:id/revoke',
    {
      config: { scope: 'collaborations:approve' },
      schema: {
        tags,
        summary: 'Revoke as this node’s party: no run starts from now on; the signed revocation is sent to every other party',
        params: idParams,
        body: z.object({ reason: z.string().max(1000).default('') }).strict().nullish().describe('optional'),
        response: { 200: collaborationView },
      },
    },
    async (request) => {
      const { id } = request.params;
      await inCallerTenant(db, request, (trx) => revokeCollaboration(trx, identity, id, request.body?.reason ?? '', actorOf(request)));
      await deliverPendingMessages(tenantOf(request), identity, id);
      return currentView(tenantOf(request), id);
    },
  );

  app.post(
    '/v1/collaborations/:id/sync',
    {
      config: { scope: 'collaborations:write' },
      schema: {
        tags,
        summary: "Send what is still pending to the other parties and fetch their approvals and revocations",
        params: idParams,
        response: { 200: z.object({ collaboration: collaborationView, pulled: z.array(z.object({ nodeId: z.string(), added: z.number(), error: z.string().nullable() })) }) },
      },
    },
    async (request) => {
      const { pulled } = await syncCollaboration(tenantOf(request), identity, request.params.id);
      return { collaboration: await currentView(tenantOf(request), request.params.id), pulled };
    },
  );
};
