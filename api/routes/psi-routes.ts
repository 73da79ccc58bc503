/** A tenant's PSI runs: start one on a collaboration, watch it, read its report and matched audience. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import type { PsiNode } from '../../core/psi/psi-node.ts';
import { requireRun, type PsiRun } from '../../core/psi/psi-runs.ts';
import { readConsentedMatches } from '../../core/psi/read-consented-matches.ts';
import { startPsiRun } from '../../core/psi/run-psi-job.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const runView = z.object({
  id: z.uuid(),
  collaborationId: z.uuid(),
  role: z.enum(['client', 'server']),
  peerNodeId: z.uuid(),
  suite: z.string(),
  mode: z.enum(['balanced', 'unbalanced', 'payload']),
  idTypes: z.array(z.string()),
  segmentId: z.number().nullable(),
  status: z.enum(['preparing', 'ready', 'running', 'finished', 'failed']),
  clientLearnsMembers: z.boolean(),
  serverLearnsMembers: z.boolean(),
  result: z.unknown(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

const toView = (run: PsiRun): z.output<typeof runView> => ({
  id: run.id,
  collaborationId: run.collaboration_id,
  role: run.role,
  peerNodeId: run.peer_node_id,
  suite: run.suite,
  mode: run.mode,
  idTypes: run.id_types,
  segmentId: run.segment_id === null ? null : Number(run.segment_id),
  status: run.status,
  clientLearnsMembers: run.client_learns_members,
  serverLearnsMembers: run.server_learns_members,
  result: run.result,
  error: run.error,
  createdAt: run.created_at.toISOString(),
  finishedAt: run.finished_at?.toISOString() ?? null,
});

export const psiRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; psi: PsiNode }> = async (app, { db, psi }) => {
  app.post(
    '/v1/psi/runs',
    {
      config: { scope: 'psi:run' },
      schema: {
        tags: ['psi'],
        summary: "Start a PSI run on an approved collaboration: this node's consented segment (or all consented persons) against the partner's set",
        body: z
          .object({
            collaborationId: z.uuid(),
            segmentId: z.number().int().positive().nullable().default(null),
            peerNodeId: z.uuid().optional(),
            mode: z.enum(['balanced', 'unbalanced']).default('balanced'),
          })
          .strict(),
        response: { 202: runView },
      },
    },
    async (request, reply) => {
      const run = await inCallerTenant(db, request, async (trx) => requireRun(trx, await startPsiRun(trx, psi.identity.nodeId, { ...request.body, actor: actorOf(request) })));
      return reply.code(202).send(toView(run));
    },
  );

  app.get(
    '/v1/psi/runs',
    {
      config: { scope: 'psi:read' },
      schema: { tags: ['psi'], summary: 'PSI runs of a collaboration, newest first', querystring: z.object({ collaborationId: z.uuid(), limit: z.coerce.number().int().min(1).max(200).default(50) }), response: { 200: z.object({ items: z.array(runView) }) } },
    },
    async (request) => {
      const rows = await inCallerTenant(db, request, (trx) =>
        trx.selectFrom('psi_runs').selectAll().where('collaboration_id', '=', request.query.collaborationId).orderBy('created_at', 'desc').limit(request.query.limit).execute(),
      );
      return { items: rows.map((row) => toView(row as PsiRun)) };
    },
  );

  app.get(
    '/v1/psi/runs/:id',
    { config: { scope: 'psi:read' }, schema: { tags: ['psi'], summary: "A run's status and, once finished, its guarded report", params: z.object({ id: z.uuid() }), response: { 200: runView } } },
    async (request) => toView(await inCallerTenant(db, request, (trx) => requireRun(trx, request.params.id))),
  );

  app.get(
    '/v1/psi/runs/:id/matches',
    {
      config: { scope: 'data:read' },
      schema: {
        tags: ['psi'],
        summary: "The matched audience the guard released to this node (person ids), in pages; each read passes the consent gate again for the collaboration's purpose and recipients, and says how many it left out",
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(10_000).default(1_000) }),
        response: {
          200: z.object({ items: z.array(z.object({ personId: z.number(), idType: z.string(), partnerTags: z.record(z.string(), z.unknown()).nullable() })), excluded: z.number(), next: z.number().nullable() }),
        },
      },
    },
    async (request) => inCallerTenant(db, request, (trx) => readConsentedMatches(trx, psi, request.params.id, request.query, actorOf(request))),
  );
};
