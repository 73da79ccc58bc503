/** Status of a queued job (later issues return job ids from their long-running endpoints). */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import { findJob } from '../../core/jobs/job-store.ts';
import { inCallerTenant } from '../plugins/auth.ts';

export const jobRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get(
    '/v1/jobs/:id',
    {
      config: { scope: 'jobs:read' },
      schema: {
        tags: ['jobs'],
        summary: 'Status of one job',
        params: z.object({ id: z.uuid() }),
        response: {
          200: z.object({
            id: z.uuid(),
            name: z.string(),
            status: z.enum(['pending', 'dispatched', 'running', 'completed', 'failed']),
            attempts: z.number(),
            maxAttempts: z.number(),
            lastError: z.string().nullable(),
            createdAt: z.string(),
            finishedAt: z.string().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const job = await inCallerTenant(db, request, (trx) => findJob(trx, request.params.id));
      if (!job) throw notFound('job');
      return {
        id: job.id,
        name: job.name,
        status: job.status,
        attempts: job.attempts,
        maxAttempts: job.max_attempts,
        lastError: job.last_error,
        createdAt: job.created_at.toISOString(),
        finishedAt: job.finished_at?.toISOString() ?? null,
      };
    },
  );

};
