/** Read access to the tenant's audit log and processing records. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { listAuditEvents } from '../../core/audit/audit-log.ts';
import { findProcessingRecord, listProcessingRecords } from '../../core/audit/processing-records.ts';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import { inCallerTenant } from '../plugins/auth.ts';

const limit = z.coerce.number().int().min(1).max(1000).default(100);

const auditEvent = z.object({
  id: z.number(),
  actor: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  details: z.unknown(),
  occurredAt: z.string(),
});

const processingRecord = z.object({
  id: z.uuid(),
  activity: z.string(),
  purpose: z.string(),
  collaborationId: z.string().nullable(),
  actor: z.string(),
  subjectsIn: z.number(),
  subjectsOut: z.number(),
  startedAt: z.string(),
  finishedAt: z.string(),
  details: z.unknown(),
});

type RecordRow = NonNullable<Awaited<ReturnType<typeof findProcessingRecord>>>;

const toProcessingRecord = (row: RecordRow): z.output<typeof processingRecord> => ({
  id: row.id,
  activity: row.activity,
  purpose: row.purpose,
  collaborationId: row.collaboration_id,
  actor: row.actor,
  subjectsIn: row.subjects_in,
  subjectsOut: row.subjects_out,
  startedAt: row.started_at.toISOString(),
  finishedAt: row.finished_at.toISOString(),
  details: row.details,
});

export const recordRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.get(
    '/v1/audit-events',
    {
      config: { scope: 'audit:read' },
      schema: {
        tags: ['records'],
        summary: 'Administrative actions, newest first',
        querystring: z.object({ limit, beforeId: z.coerce.number().int().positive().optional() }),
        response: { 200: z.object({ items: z.array(auditEvent) }) },
      },
    },
    async (request) => {
      const rows = await inCallerTenant(db, request, (trx) => listAuditEvents(trx, request.query));
      return {
        items: rows.map((row) => ({
          id: row.id,
          actor: row.actor,
          action: row.action,
          targetType: row.target_type,
          targetId: row.target_id,
          details: row.details,
          occurredAt: row.occurred_at.toISOString(),
        })),
      };
    },
  );

  app.get(
    '/v1/processing-records',
    {
      config: { scope: 'records:read' },
      schema: {
        tags: ['records'],
        summary: 'Runs that processed personal data, newest first',
        querystring: z.object({ limit, purpose: z.string().max(200).optional() }),
        response: { 200: z.object({ items: z.array(processingRecord) }) },
      },
    },
    async (request) => ({
      items: (await inCallerTenant(db, request, (trx) => listProcessingRecords(trx, request.query))).map(toProcessingRecord),
    }),
  );

  app.get(
    '/v1/processing-records/:id',
    {
      config: { scope: 'records:read' },
      schema: { tags: ['records'], summary: 'One processing record', params: z.object({ id: z.uuid() }), response: { 200: processingRecord } },
    },
    async (request) => {
      const row = await inCallerTenant(db, request, (trx) => findProcessingRecord(trx, request.params.id));
      if (!row) throw notFound('processing record');
      return toProcessingRecord(row);
    },
  );
};
