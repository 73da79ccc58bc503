/**
 * Tags over HTTP: definitions, bulk values of static tags (the open API third parties use with
 * tags:read / tags:write keys), runs of SQL and rule tags through the job queue, and runs of the
 * built-in tags (RFM, lifecycle, CLV). An SQL tag reads the
 * whole tenant's profile data, so defining one needs an admin key; a tags:write key can only set
 * static values and ask for a run of an SQL tag someone with admin rights wrote.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { ConsentGate } from '../../core/consent/consent-gate.ts';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { builtinTagOptionsSchema, computeBuiltinTags } from '../../core/tags/builtins/compute-builtin-tags.ts';
import { enqueueRuleTagRun } from '../../core/tags/compute-rule-tag-job.ts';
import { enqueueSqlTagRun } from '../../core/tags/compute-sql-tag-job.ts';
import { MAX_STATIC_VALUES_PER_CALL, setStaticTagValues } from '../../core/tags/set-static-tag-values.ts';
import { MAX_SQL_TAG_LENGTH } from '../../core/tags/sql-tag-policy.ts';
import { TagError } from '../../core/tags/tag-errors.ts';
import { archiveTag, computableTag, defineTag, findTag, listTags, tagDefinitionView, type TagDefinition } from '../../core/tags/tag-definitions.ts';
import { listPersonTags, listTagValues, type StoredTagValue } from '../../core/tags/tag-value-store.ts';
import { tagValueTypes } from '../../core/tags/tag-value-type.ts';
import { grants } from '../../core/tenancy/scopes.ts';
import { ApiError } from '../errors.ts';
import { actorOf, inCallerTenant, principalOf } from '../plugins/auth.ts';
import { includeArchivedQuery } from './include-archived-query.ts';

const tagKey = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _, starting with a letter');
const common = {
  key: tagKey,
  valueType: z.enum(tagValueTypes),
  multiValued: z.boolean().default(false),
  description: z.string().min(1).max(2_000),
  owner: z.string().min(1).max(200),
};
const definitionBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('static'), ...common }),
  z.object({ kind: z.literal('sql'), ...common, query: z.string().min(1).max(MAX_SQL_TAG_LENGTH), scheduleSeconds: z.number().int().min(60).max(2_592_000).nullable().default(null) }),
  // The rule is checked in core (rule-language.ts) so its errors name the part of the rule at fault.
  z.object({ kind: z.literal('rule'), ...common, rule: z.record(z.string(), z.unknown()), scheduleSeconds: z.number().int().min(60).max(2_592_000).nullable().default(null) }),
]);

const tagView = z.object({
  key: z.string(),
  kind: z.enum(['static', 'rule', 'sql']),
  valueType: z.enum(tagValueTypes),
  multiValued: z.boolean(),
  description: z.string(),
  owner: z.string(),
  query: z.string().nullable(),
  rule: z.unknown(),
  scheduleSeconds: z.number().nullable(),
  lastComputedAt: z.string().nullable(),
  lastError: z.unknown(),
  createdAt: z.string(),
  archivedAt: z.string().nullable(),
});

const toView = (tag: TagDefinition): z.output<typeof tagView> => tagDefinitionView(tag);

const valueView = z.object({ tag: z.string(), personId: z.number(), value: z.unknown(), source: z.string(), updatedAt: z.string() });
const toValueView = (value: StoredTagValue): z.output<typeof valueView> => ({ ...value, updatedAt: value.updatedAt.toISOString() });

const scalar = z.union([z.boolean(), z.number(), z.string()]);
const keyParams = z.object({ key: tagKey });

export const tagRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array; gate: ConsentGate }> = async (app, { db, gate }) => {
  app.post(
    '/v1/tags',
    { config: { scope: 'tags:write' }, schema: { tags: ['tags'], summary: 'Define a tag (an SQL tag needs an admin key)', body: definitionBody, response: { 201: tagView } } },
    async (request, reply) => {
      if (request.body.kind === 'sql' && !grants(principalOf(request).scopes, 'admin')) {
        throw new ApiError('ACCORD_ERR_FORBIDDEN', 'an SQL tag reads all of the tenant\'s profile data: defining one needs the admin scope');
      }
      const tag = await inCallerTenant(db, request, async (trx) => {
        const defined = await defineTag(trx, request.body, actorOf(request));
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'tags.defined', targetType: 'tag', targetId: defined.key, details: { kind: defined.kind } });
        if (defined.kind === 'sql' && defined.schedule_seconds) await enqueueSqlTagRun(trx, defined.key);
        if (defined.kind === 'rule' && defined.schedule_seconds) await enqueueRuleTagRun(trx, defined.key);
        return defined;
      });
      return reply.code(201).send(toView(tag));
    },
  );

  app.get(
    '/v1/tags',
    { config: { scope: 'tags:read' }, schema: { tags: ['tags'], summary: 'The tags of the tenant; archived ones too with includeArchived=true', querystring: includeArchivedQuery, response: { 200: z.object({ tags: z.array(tagView) }) } } },
    async (request) => {
      const tags = await inCallerTenant(db, request, (trx) => listTags(trx, request.query));
      return { tags: tags.map(toView) };
    },
  );

  app.post(
    '/v1/tags/:key/archive',
    { config: { scope: 'tags:write' }, schema: { tags: ['tags'], summary: 'Archive a tag: its values and history are kept, it is no longer listed by default, run or scheduled', params: keyParams, response: { 200: tagView } } },
    async (request) =>
      toView(
        await inCallerTenant(db, request, async (trx) => {
          const tag = await archiveTag(trx, request.params.key);
          await recordAuditEvent(trx, { actor: actorOf(request), action: 'tags.archived', targetType: 'tag', targetId: tag.key });
          return tag;
        }),
      ),
  );

  app.get('/v1/tags/:key', { config: { scope: 'tags:read' }, schema: { tags: ['tags'], summary: 'One tag', params: keyParams, response: { 200: tagView } } }, async (request) => {
    const tag = await inCallerTenant(db, request, (trx) => findTag(trx, request.params.key));
    if (!tag) throw notFound('tag');
    return toView(tag);
  });

  app.post(
    '/v1/tags/:key/values',
    {
      config: { scope: 'tags:write' },
      schema: {
        tags: ['tags'],
        summary: `Set values of a static tag for up to ${MAX_STATIC_VALUES_PER_CALL} persons, all or nothing; null removes a value`,
        params: keyParams,
        body: z.object({ values: z.array(z.object({ personId: z.number().int().positive(), value: z.union([scalar, z.array(scalar), z.null()]) })).min(1).max(MAX_STATIC_VALUES_PER_CALL) }),
        response: { 200: z.object({ set: z.number(), removed: z.number() }) },
      },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const result = await setStaticTagValues(trx, request.params.key, request.body.values, `api:${principalOf(request).keyId}`);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'tags.values.set', targetType: 'tag', targetId: request.params.key, details: result });
        return result;
      }),
  );

  app.get(
    '/v1/tags/:key/values',
    {
      config: { scope: 'tags:read' },
      schema: {
        tags: ['tags'],
        summary: 'Values of one tag in person order, a page at a time',
        params: keyParams,
        querystring: z.object({ afterPersonId: z.coerce.number().int().nonnegative().optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1_000) }),
        response: { 200: z.object({ values: z.array(valueView) }) },
      },
    },
    async (request) => {
      const values = await inCallerTenant(db, request, async (trx) => {
        if (!(await findTag(trx, request.params.key))) throw notFound('tag');
        return listTagValues(trx, request.params.key, request.query);
      });
      return { values: values.map(toValueView) };
    },
  );

  app.get(
    '/v1/persons/:personId/tags',
    {
      config: { scope: 'tags:read' },
      schema: { tags: ['tags'], summary: 'Every tag value of one person', params: z.object({ personId: z.coerce.number().int().positive() }), response: { 200: z.object({ values: z.array(valueView) }) } },
    },
    async (request) => {
      const values = await inCallerTenant(db, request, async (trx) => {
        const person = await trx.selectFrom('persons').select('id').where('id', '=', request.params.personId).executeTakeFirst();
        if (!person) throw notFound('person');
        return listPersonTags(trx, request.params.personId);
      });
      return { values: values.map(toValueView) };
    },
  );

  app.post(
    '/v1/tags/:key/runs',
    { config: { scope: 'tags:write' }, schema: { tags: ['tags'], summary: 'Queue a run of an SQL or rule tag; follow it at /v1/jobs/{jobId}', params: keyParams, response: { 202: z.object({ jobId: z.uuid() }) } } },
    async (request, reply) => {
      const jobId = await inCallerTenant(db, request, async (trx) => {
        const tag = await computableTag(trx, request.params.key);
        if (tag.kind === 'static') throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${tag.key} is a static tag; only SQL and rule tags run`);
        if (tag.kind === 'rule' && (tag.rule as Record<string, unknown> | null)?.builtin) throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${tag.key} is a built-in tag; run POST /v1/tags/builtins/runs`);
        const queued = tag.kind === 'sql' ? await enqueueSqlTagRun(trx, tag.key) : await enqueueRuleTagRun(trx, tag.key);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'tags.run.queued', targetType: 'tag', targetId: tag.key, details: { jobId: queued } });
        return queued;
      });
      return reply.code(202).send({ jobId });
    },
  );

  app.post(
    '/v1/tags/builtins/runs',
    {
      config: { scope: 'tags:write' },
      schema: {
        tags: ['tags'],
        summary: 'Compute the built-in tags (RFM, lifecycle stage, CLV estimate) now, in one transaction, for the persons the gate allows for analytics.profiling',
        body: builtinTagOptionsSchema.prefault({}),
        response: { 200: z.object({ persons: z.object({ rfm: z.number(), lifecycle: z.number(), clv: z.number() }), processingRecordId: z.string() }) },
      },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const run = await computeBuiltinTags(trx, gate, { ...request.body, actor: actorOf(request) });
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'tags.builtins.computed', targetType: 'tag', targetId: 'builtins', details: run.persons });
        return run;
      }),
  );
};
