/**
 * The consent ledger over HTTP: purposes and notice versions (privacy officers), consent events
 * (collection points with an authenticated key), the point gate, and log verification. Answers
 * about a subject look the same whether or not the ledger has ever seen that subject.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import { mergeConsentSubjects } from '../../core/consent/merge-consent-subjects.ts';
import { PointGate } from '../../core/consent/point-gate.ts';
import { disableNotice, findNotice, publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { consentGroupCommitOf } from '../../core/consent/consent-group-commit.ts';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { verifyConsentLog } from '../../core/consent/verify-consent-log.ts';
import { latestConsentCheckpoint, sealConsentCheckpoint, type StoredCheckpoint } from '../../core/consent/consent-checkpoints.ts';
import { notFound } from '../../core/errors.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { actorOf, inCallerTenant, principalOf } from '../plugins/auth.ts';
import { eventBody } from './consent-event-body.ts';

const text = (max: number) => z.string().min(1).max(max);
const regime = z.enum(regimes);
const basis = z.enum(['consent', 'opt_out']);

const purposeBody = z.object({
  key: text(200),
  name: text(200),
  mechanism: z.enum(['opt_in', 'opt_out', 'notice_only']),
  legalBasis: z.object({ pipl: basis.optional(), gdpr: basis.optional(), ccpa: basis.optional() }),
  retentionDays: z.number().int().positive().nullable().default(null),
  sensitiveCategory: text(100).nullable().default(null),
  requiresNamedRecipient: z.boolean().default(false),
  crossBorder: z.boolean().default(false),
  publicDisclosure: z.boolean().default(false),
});


export const checkpoint = z.object({ treeSize: z.number(), rootHash: z.string(), body: z.string(), signature: z.string(), signedAt: z.string() });

export const toCheckpoint = (stored: StoredCheckpoint): z.output<typeof checkpoint> => ({
  treeSize: stored.treeSize,
  rootHash: Buffer.from(stored.rootHash).toString('hex'),
  body: Buffer.from(stored.body).toString('base64'),
  signature: Buffer.from(stored.signature).toString('base64'),
  signedAt: stored.signedAt.toISOString(),
});

export const consentRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity }> = async (app, { db, identity }) => {
  const pointGate = new PointGate(db);
  app.post(
    '/v1/consent/purposes',
    { config: { scope: 'privacy:admin' }, schema: { tags: ['consent'], summary: 'Define a purpose (immutable once defined)', body: purposeBody, response: { 201: purposeBody } } },
    async (request, reply) => {
      const purpose = await inCallerTenant(db, request, async (trx) => {
        const defined = await definePurpose(trx, request.body);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'consent.purpose.defined', targetType: 'purpose', targetId: defined.key });
        return defined;
      });
      return reply.code(201).send(purpose);
    },
  );

  app.post(
    '/v1/consent/notices',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent'],
        summary: 'Publish the next version of a notice in a language',
        body: z.object({
          noticeKey: text(100),
          language: text(35),
          content: z.string().min(1).max(200_000),
          purposes: z.array(text(200)).min(1).max(100),
          recipients: z.array(text(200)).max(100).default([]),
          dataCategories: z.array(text(100)).max(100).default([]),
        }),
        response: { 201: z.object({ id: z.uuid(), noticeKey: z.string(), version: z.number(), language: z.string(), contentHash: z.string() }) },
      },
    },
    async (request, reply) => {
      const notice = await inCallerTenant(db, request, async (trx) => {
        const published = await publishNotice(trx, request.body);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'consent.notice.published', targetType: 'notice', targetId: published.id, details: { version: published.version } });
        return published;
      });
      return reply.code(201).send({ id: notice.id, noticeKey: notice.noticeKey, version: notice.version, language: notice.language, contentHash: Buffer.from(notice.contentHash).toString('hex') });
    },
  );

  app.post(
    '/v1/consent/notices/:id/disable',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent'],
        summary: 'Disable a notice version: no new grants may cite it; it is never deleted and past consents keep citing it',
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await inCallerTenant(db, request, async (trx) => {
        if (!(await findNotice(trx, request.params.id))) throw notFound('notice');
        await disableNotice(trx, request.params.id);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'consent.notice.disabled', targetType: 'notice', targetId: request.params.id });
      });
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/consent/events',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['consent'],
        summary: 'Record a consent event (append-only, hash-chained)',
        body: eventBody,
        response: { 201: z.object({ seq: z.number(), duplicate: z.boolean() }) },
      },
    },
    async (request, reply) => {
      // Concurrent single events join one chain transaction (group commit) instead of queueing on the head lock.
      const [recorded] = await consentGroupCommitOf(db).record(principalOf(request).tenantId, [request.body]);
      return reply.code(201).send({ seq: recorded!.seq, duplicate: recorded!.duplicate });
    },
  );

  app.post(
    '/v1/consent/events/batch',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['consent'],
        summary: 'Record up to 1,000 consent events at once: all or nothing, results in request order',
        body: z.object({ events: z.array(eventBody).min(1).max(1_000) }),
        response: { 201: z.object({ results: z.array(z.object({ seq: z.number(), duplicate: z.boolean() })) }) },
      },
    },
    async (request, reply) => {
      const recorded = await inCallerTenant(db, request, (trx) => recordConsentEvents(trx, request.body.events));
      return reply.code(201).send({ results: recorded.map(({ seq, duplicate }) => ({ seq, duplicate })) });
    },
  );

  app.post(
    '/v1/consent/subject-merges',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['consent'],
        summary: 'Two subject references are one person: the survivor takes the most restrictive consent of both',
        body: z.object({ mergeId: text(200), survivor: text(200), absorbed: text(200) }),
        response: { 200: z.object({ restricted: z.number() }) },
      },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const outcome = await mergeConsentSubjects(trx, { ...request.body, at: new Date() });
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'consent.subjects.merged', targetType: 'subject_merge', targetId: request.body.mergeId, details: { restricted: outcome.restricted } });
        return outcome;
      }),
  );

  app.get(
    '/v1/consent/changes',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent'],
        summary: 'Consent events after a sequence number, in order: the feed downstream systems follow so a withdrawal reaches them',
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(10_000).default(1_000) }),
        response: {
          200: z.object({
            changes: z.array(z.object({ seq: z.number(), subject: z.string(), purpose: z.string(), recipient: z.string(), regime: z.string(), kind: z.string(), collectedAt: z.string() })),
            /** Pass as `after` next time. */
            next: z.number(),
          }),
        },
      },
    },
    async (request) => {
      const rows = await inCallerTenant(db, request, (trx) =>
        trx.selectFrom('consent_events').select(['seq', 'subject', 'purpose', 'recipient', 'regime', 'kind', 'collected_at']).where('seq', '>', request.query.after).orderBy('seq').limit(request.query.limit).execute(),
      );
      return {
        changes: rows.map(({ collected_at, ...row }) => ({ ...row, collectedAt: collected_at.toISOString() })),
        next: rows.at(-1)?.seq ?? request.query.after,
      };
    },
  );

  app.post(
    '/v1/consent/check',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent'],
        summary: 'May this subject be processed for this purpose (and recipient) now? Fails closed.',
        body: z.object({
          subject: text(200),
          purpose: text(200),
          recipient: text(200).optional(),
          regime,
          at: z.iso.datetime({ offset: true }).transform((value) => new Date(value)).optional(),
        }),
        response: { 200: z.object({ allowed: z.boolean(), reason: z.string(), decidedBySeq: z.number().nullable() }) },
      },
    },
    async (request) => pointGate.check(principalOf(request).tenantId, { ...request.body, at: request.body.at ?? new Date() }),
  );

  app.get(
    '/v1/consent/verify',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent'],
        summary: "Recompute the tenant's consent hash chain and signed checkpoints; name the first altered record",
        response: {
          200: z.object({
            ok: z.boolean(),
            eventsChecked: z.number(),
            checkpointsChecked: z.number().optional(),
            firstBad: z.object({ seq: z.number(), problem: z.string() }).optional(),
          }),
        },
      },
    },
    async (request) => inCallerTenant(db, request, (trx) => verifyConsentLog(trx, identity.publicKey)),
  );

  app.post(
    '/v1/consent/checkpoints',
    {
      config: { scope: 'privacy:admin' },
      schema: { tags: ['consent'], summary: 'Sign a checkpoint (RFC 6962 tree head) at the current end of the log', response: { 201: checkpoint, 404: z.unknown() } },
    },
    async (request, reply) => {
      const sealed = await inCallerTenant(db, request, (trx) => sealConsentCheckpoint(trx, identity));
      if (!sealed) throw notFound('consent event to checkpoint');
      return reply.code(201).send(toCheckpoint(sealed));
    },
  );

  app.get(
    '/v1/consent/checkpoints/latest',
    { config: { scope: 'consent:read' }, schema: { tags: ['consent'], summary: 'The latest signed checkpoint of the consent log', response: { 200: checkpoint } } },
    async (request) => {
      const latest = await inCallerTenant(db, request, latestConsentCheckpoint);
      if (!latest) throw notFound('checkpoint');
      return toCheckpoint(latest);
    },
  );
};
