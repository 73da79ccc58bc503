/**
 * How much of a collaboration's budgets is used, as this node's output guard tallies its ledger:
 * runs admitted (in all and in the last day) against the effective run budget and daily cap, and
 * privacy budget (ε) spent against the effective total. What the console shows before a run.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { CollaborationError } from '../../core/collaborations/collaboration-errors.ts';
import { loadCollaboration } from '../../core/collaborations/collaboration-store.ts';
import type { Database } from '../../core/db/schema.ts';
import { guardTally } from '../../core/guard/guard-ledger.ts';
import { MICROS_PER_EPSILON } from '../../core/guard/guard-policy.ts';
import { inCallerTenant } from '../plugins/auth.ts';

export const collaborationBudgetRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get(
    '/v1/collaborations/:id/budget',
    {
      config: { scope: 'collaborations:read' },
      schema: {
        tags: ['collaborations'],
        summary: "Runs and privacy budget (ε) used and left under the collaboration's effective terms, from this node's guard ledger",
        params: z.object({ id: z.uuid() }),
        response: {
          200: z.object({
            runs: z.object({ used: z.number(), budget: z.number(), left: z.number(), lastDay: z.number(), perDay: z.number() }),
            epsilon: z.object({ spent: z.number(), total: z.number(), left: z.number(), perRun: z.number() }).nullable().describe('null when the terms release exact counts'),
          }),
        },
      },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const collaboration = await loadCollaboration(trx, request.params.id);
        if (!collaboration) throw new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `collaboration ${request.params.id} not found`);
        const tally = await guardTally(trx, collaboration.id);
        const terms = collaboration.effective;
        const spent = Number(tally.epsilonMicrosSpent) / MICROS_PER_EPSILON;
        const runs = Number(tally.runs);
        return {
          runs: { used: runs, budget: terms.runBudget, left: Math.max(0, terms.runBudget - runs), lastDay: Number(tally.runsLastDay), perDay: terms.maxRunsPerDay },
          epsilon: terms.noise && { spent, total: terms.noise.totalEpsilon, left: Math.max(0, terms.noise.totalEpsilon - spent), perRun: terms.noise.epsilonPerRun },
        };
      }),
  );
};
