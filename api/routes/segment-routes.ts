/**
 * Segments over HTTP: size estimate and person-level preview of a rule before saving, creating
 * static, dynamic and imported segments, on-demand refresh and the changes of a refresh, member
 * counts for a purpose, and the k-anonymous portrait. Everything that selects or counts people
 * goes through the process's consent gate (analytics.profiling, or the purpose asked), which
 * writes the processing record. A preview shows persons, so it needs data:read besides segments:read.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { ConsentGate } from '../../core/consent/consent-gate.ts';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { estimateSegmentRule, MAX_PREVIEW_PERSONS, previewSegmentRule } from '../../core/segments/evaluate-segment.ts';
import { enqueueSegmentRefresh } from '../../core/segments/refresh-segment-job.ts';
import { segmentMembersFor } from '../../core/segments/segment-members-for.ts';
import { DEFAULT_MIN_CELL, segmentPortrait } from '../../core/segments/segment-portrait.ts';
import { parseSegmentRule } from '../../core/segments/segment-rule.ts';
import { archiveSegment, createSegment, findSegment, listSegments, membershipChanges, refreshSegment, type Segment } from '../../core/segments/segment-store.ts';
import { grants } from '../../core/tenancy/scopes.ts';
import { ApiError } from '../errors.ts';
import { includeArchivedQuery } from './include-archived-query.ts';
import { actorOf, inCallerTenant, principalOf } from '../plugins/auth.ts';

export const MAX_IMPORTED_IDENTIFIERS = 100_000;

const key = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/);
const name = z.string().min(1).max(200);
/** Rules are checked by parseSegmentRule, whose errors say where a rule is wrong. */
const rule = z.unknown();
const createBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('static'), name, rule }),
  z.object({ kind: z.literal('dynamic'), name, rule, scheduleSeconds: z.number().int().min(60).max(2_592_000).nullable().default(null) }),
  z.object({ kind: z.literal('imported'), name, identifiers: z.array(z.object({ type: z.string().max(40), value: z.string().max(1024), scope: z.string().max(128).optional(), region: z.string().length(2).optional() })).min(1).max(MAX_IMPORTED_IDENTIFIERS) }),
]);

const segmentView = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(['static', 'dynamic', 'imported']),
  rule: z.unknown(),
  scheduleSeconds: z.number().nullable(),
  memberCount: z.number(),
  importReport: z.unknown(),
  lastRefreshId: z.number().nullable(),
  lastRefreshedAt: z.string().nullable(),
  createdAt: z.string(),
  archivedAt: z.string().nullable(),
});
const toView = (s: Segment): z.output<typeof segmentView> => ({ ...s, lastRefreshedAt: s.lastRefreshedAt?.toISOString() ?? null, createdAt: s.createdAt.toISOString(), archivedAt: s.archivedAt?.toISOString() ?? null });
const refreshView = z.object({ refreshId: z.number(), added: z.number(), removed: z.number(), memberCount: z.number() });
const idParams = z.object({ id: z.coerce.number().int().positive() });
const dimension = z.union([z.object({ tag: key }).strict(), z.object({ attribute: key }).strict(), z.object({ builtIn: z.enum(['age_band', 'lifecycle', 'order_channel']) }).strict()]);

export const segmentRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array; gate: ConsentGate }> = async (app, { db, masterKey, gate }) => {
  const identifierKeys = new IdentifierKeys(masterKey);

  app.post(
    '/v1/segments/estimate',
    { config: { scope: 'segments:read' }, schema: { tags: ['segments'], summary: 'How many persons a rule selects now, without saving anything', body: z.object({ rule }), response: { 200: z.object({ members: z.number() }) } } },
    async (request) => ({ members: await inCallerTenant(db, request, (trx) => estimateSegmentRule(trx, gate, parseSegmentRule(request.body.rule), actorOf(request))) }),
  );

  app.post(
    '/v1/segments/preview',
    {
      config: { scope: 'segments:read' },
      schema: {
        tags: ['segments'],
        summary: `The first persons (at most ${MAX_PREVIEW_PERSONS}) a rule selects, with only the attributes asked for; needs data:read too`,
        body: z.object({ rule, attributes: z.array(key).max(20).default([]), limit: z.number().int().min(1).max(MAX_PREVIEW_PERSONS).default(MAX_PREVIEW_PERSONS) }),
        response: { 200: z.object({ persons: z.array(z.object({ personId: z.number(), attributes: z.record(z.string(), z.unknown()) })) }) },
      },
    },
    async (request) => {
      if (!grants(principalOf(request).scopes, 'data:read')) throw new ApiError('ACCORD_ERR_FORBIDDEN', 'a preview shows persons: it needs the data:read scope besides segments:read');
      const persons = await inCallerTenant(db, request, (trx) => previewSegmentRule(trx, gate, parseSegmentRule(request.body.rule), { ...request.body, actor: actorOf(request) }));
      return { persons };
    },
  );

  app.post(
    '/v1/segments',
    { config: { scope: 'segments:write' }, schema: { tags: ['segments'], summary: 'Create a static, dynamic or imported segment', body: createBody, response: { 201: z.object({ segment: segmentView, refresh: refreshView }) } } },
    async (request, reply) => {
      const created = await inCallerTenant(db, request, async (trx) => {
        const result = await createSegment(trx, gate, request.body, actorOf(request), { identifierKeys });
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'segments.created', targetType: 'segment', targetId: String(result.segment.id), details: { kind: result.segment.kind, members: result.refresh.memberCount } });
        if (result.segment.scheduleSeconds) await enqueueSegmentRefresh(trx, result.segment.id, result.segment.scheduleSeconds * 1000);
        return result;
      });
      return reply.code(201).send({ segment: toView(created.segment), refresh: created.refresh });
    },
  );

  app.get(
    '/v1/segments',
    { config: { scope: 'segments:read' }, schema: { tags: ['segments'], summary: 'The segments of the tenant; archived ones too with includeArchived=true', querystring: includeArchivedQuery, response: { 200: z.object({ segments: z.array(segmentView) }) } } },
    async (request) => ({ segments: (await inCallerTenant(db, request, (trx) => listSegments(trx, request.query))).map(toView) }),
  );

  app.post(
    '/v1/segments/:id/archive',
    { config: { scope: 'segments:write' }, schema: { tags: ['segments'], summary: 'Archive a segment: members, refreshes and history are kept, it is no longer listed by default, refreshed or scheduled', params: idParams, response: { 200: segmentView } } },
    async (request) =>
      toView(
        await inCallerTenant(db, request, async (trx) => {
          const segment = await archiveSegment(trx, request.params.id);
          await recordAuditEvent(trx, { actor: actorOf(request), action: 'segments.archived', targetType: 'segment', targetId: String(segment.id) });
          return segment;
        }),
      ),
  );

  app.get('/v1/segments/:id', { config: { scope: 'segments:read' }, schema: { tags: ['segments'], summary: 'One segment', params: idParams, response: { 200: segmentView } } }, async (request) => {
    const segment = await inCallerTenant(db, request, (trx) => findSegment(trx, request.params.id));
    if (!segment) throw notFound('segment');
    return toView(segment);
  });

  app.post(
    '/v1/segments/:id/refresh',
    { config: { scope: 'segments:write' }, schema: { tags: ['segments'], summary: 'Re-evaluate a dynamic segment now; the adds and removes are kept under the refresh id', params: idParams, response: { 200: refreshView } } },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const refresh = await refreshSegment(trx, gate, request.params.id, actorOf(request));
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'segments.refreshed', targetType: 'segment', targetId: String(request.params.id), details: { ...refresh } });
        return refresh;
      }),
  );

  app.get(
    '/v1/segments/:id/refreshes/:refreshId/changes',
    {
      config: { scope: 'segments:read' },
      schema: { tags: ['segments'], summary: 'Person ids one refresh added and removed', params: z.object({ id: z.coerce.number().int().positive(), refreshId: z.coerce.number().int().positive() }), response: { 200: z.object({ added: z.array(z.number()), removed: z.array(z.number()) }) } },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const refresh = await trx.selectFrom('segment_refreshes').select('id').where('id', '=', request.params.refreshId).where('segment_id', '=', request.params.id).executeTakeFirst();
        if (!refresh) throw notFound('refresh');
        return membershipChanges(trx, request.params.refreshId);
      }),
  );

  app.post(
    '/v1/segments/:id/members-for-purpose',
    {
      config: { scope: 'segments:read' },
      schema: {
        tags: ['segments'],
        summary: 'How many members may be processed for a purpose and recipient, through the consent gate (writes a processing record)',
        params: idParams,
        body: z.object({ purpose: z.string().min(1).max(200), recipient: z.string().min(1).max(200).optional(), regime: z.enum(regimes) }),
        response: { 200: z.object({ members: z.number(), allowed: z.number(), denied: z.object({ noConsent: z.number(), refused: z.number(), expired: z.number() }), evaluatedAtSeq: z.number() }) },
      },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const allowed = await segmentMembersFor(trx, gate, request.params.id, { ...request.body, activity: 'segments.members-for-purpose', actor: actorOf(request) });
        return { members: allowed.candidates, allowed: allowed.size, denied: allowed.denied, evaluatedAtSeq: allowed.evaluatedAtSeq };
      }),
  );

  app.post(
    '/v1/segments/:id/portrait',
    {
      config: { scope: 'segments:read' },
      schema: {
        tags: ['segments'],
        summary: `Distributions of the segment's members the gate allows for profiling now (writes a processing record); no cell under k (at least ${DEFAULT_MIN_CELL}) persons`,
        params: idParams,
        body: z.object({ dimensions: z.array(dimension).min(1).max(10), k: z.number().int().min(DEFAULT_MIN_CELL).max(10_000).default(DEFAULT_MIN_CELL) }),
        response: {
          200: z.object({ segmentId: z.number(), members: z.number(), k: z.number(), suppressed: z.boolean(), distributions: z.array(z.object({ dimension, cells: z.array(z.object({ value: z.string(), count: z.number() })) })) }),
        },
      },
    },
    async (request) => inCallerTenant(db, request, (trx) => segmentPortrait(trx, gate, request.params.id, request.body.dimensions, actorOf(request), request.body.k)),
  );
};
