/**
 * Data-subject requests over HTTP (privacy officers): create, list with overdue filtering, move
 * through their statuses, extend the deadline, and run them: access (a streamed JSON export),
 * erasure (withdrawal, crypto-shredding, removal from derived stores, tombstones, notices),
 * rectification. Collection points store the personal values messaging needs in the subject vault.
 * Every action leaves an audit event.
 * Subjects travel in bodies, never in URLs, so they stay out of access logs.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import { checkActionAllowed, privacyRequestKinds, privacyRequestStatuses } from '../../consent/privacy-request.ts';
import { IDENTIFIER_HASH, IDENTIFIER_TYPE } from '../../consent/suppression-hash.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { eraseSubject } from '../../core/privacy/erase-subject.ts';
import { exportSubjectData } from '../../core/privacy/export-subject-data.ts';
import {
  appendTrail,
  createPrivacyRequest,
  extendPrivacyRequest,
  getPrivacyRequest,
  isOverdue,
  listPrivacyRequests,
  readTrail,
  transitionPrivacyRequest,
  type PrivacyRequest,
} from '../../core/privacy/privacy-requests.ts';
import { readRemovals, removalStatuses } from '../../core/privacy/privacy-request-removals.ts';
import { subjectExportSections } from '../../core/privacy/subject-export-sections.ts';
import { PERSONAL_FIELD, SubjectVault } from '../../core/privacy/subject-vault.ts';
import { actorOf, inCallerTenant, principalOf } from '../plugins/auth.ts';

const text = (max: number) => z.string().min(1).max(max);
const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const params = z.object({ id: z.uuid() });
const field = z.string().min(1).max(100).regex(PERSONAL_FIELD, 'dotted lower-case words, e.g. contact.email');
const personalValue = z.string().min(1).max(10_000);

const requestView = z.object({
  id: z.uuid(),
  kind: z.enum(privacyRequestKinds),
  regime: z.enum(regimes),
  subject: z.string(),
  status: z.enum(privacyRequestStatuses),
  receivedAt: z.string(),
  dueAt: z.string(),
  extended: z.boolean(),
  overdue: z.boolean(),
  verification: z.object({ method: z.string(), reference: z.string() }).nullable(),
  closedAt: z.string().nullable(),
});

const removalView = z.object({ store: z.string(), status: z.enum(removalStatuses), removed: z.number() });

const toView = (request: PrivacyRequest, now = new Date()): z.output<typeof requestView> => ({
  id: request.id,
  kind: request.kind,
  regime: request.regime,
  subject: request.subject,
  status: request.status,
  receivedAt: request.receivedAt.toISOString(),
  dueAt: request.dueAt.toISOString(),
  extended: request.extended,
  overdue: isOverdue(request, now),
  verification: request.verification,
  closedAt: request.closedAt?.toISOString() ?? null,
});

export const privacyRequestRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async (app, { db, masterKey }) => {
  const vault = new SubjectVault(masterKey);
  const identifierKeys = new IdentifierKeys(masterKey);
  const exportSections = subjectExportSections(vault);
  const audit = (actor: string, action: string, request: PrivacyRequest, details: Record<string, unknown> = {}) => ({
    actor,
    action,
    targetType: 'privacy_request',
    targetId: request.id,
    details: { subject: request.subject, kind: request.kind, ...details },
  });

  app.post(
    '/v1/privacy-requests',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Log a data-subject request; its deadline follows from the regime',
        body: z.object({ kind: z.enum(privacyRequestKinds), regime: z.enum(regimes), subject: text(200), receivedAt: instant.optional() }),
        response: { 201: requestView },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const created = await inCallerTenant(db, request, async (trx) => {
        const stored = await createPrivacyRequest(trx, { ...request.body, receivedAt: request.body.receivedAt ?? new Date() }, actor);
        await recordAuditEvent(trx, audit(actor, 'privacy.request.created', stored, { regime: stored.regime, dueAt: stored.dueAt.toISOString() }));
        return stored;
      });
      return reply.code(201).send(toView(created));
    },
  );

  app.get(
    '/v1/privacy-requests',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Requests by deadline, earliest first; overdue=true lists the open ones past their deadline',
        querystring: z.object({
          status: z.enum(privacyRequestStatuses).optional(),
          overdue: z.enum(['true', 'false']).transform((value) => value === 'true').optional(),
          subject: text(200).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          after: z.uuid().optional(),
        }),
        response: { 200: z.object({ requests: z.array(requestView) }) },
      },
    },
    async (request) => {
      const at = new Date();
      const found = await inCallerTenant(db, request, (trx) => listPrivacyRequests(trx, { ...request.query, at }));
      return { requests: found.map((r) => toView(r, at)) };
    },
  );

  app.get(
    '/v1/privacy-requests/:id',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: "One request with its trail (who did what, when) and, for an erasure, where each derived store's removal stands",
        params,
        response: {
          200: requestView.extend({
            trail: z.array(z.object({ actor: z.string(), action: z.string(), fromStatus: z.string().nullable(), toStatus: z.string().nullable(), details: z.record(z.string(), z.unknown()), occurredAt: z.string() })),
            removals: z.array(removalView.extend({ updatedAt: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      const { found, trail, removals } = await inCallerTenant(db, request, async (trx) => {
        const found = await getPrivacyRequest(trx, request.params.id);
        return { found, trail: await readTrail(trx, found.id), removals: await readRemovals(trx, found.id) };
      });
      return {
        ...toView(found),
        trail: trail.map((entry) => ({ ...entry, occurredAt: entry.occurredAt.toISOString() })),
        removals: removals.map((removal) => ({ ...removal, updatedAt: removal.updatedAt.toISOString() })),
      };
    },
  );

  app.post(
    '/v1/privacy-requests/:id/transitions',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Move the request on: received → verifying → in_progress → completed, or rejected with a reason',
        params,
        body: z.object({
          to: z.enum(privacyRequestStatuses),
          verification: z.object({ method: text(100), reference: text(200) }).optional(),
          reason: text(2_000).optional(),
        }),
        response: { 200: requestView },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const moved = await inCallerTenant(db, request, async (trx) => {
        const updated = await transitionPrivacyRequest(trx, request.params.id, request.body, actor);
        await recordAuditEvent(trx, audit(actor, 'privacy.request.status_changed', updated, { to: updated.status }));
        return updated;
      });
      return toView(moved);
    },
  );

  app.post(
    '/v1/privacy-requests/:id/extension',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: "Take the regime's one deadline extension (GDPR +2 months, CCPA +45 days); the reason is what the person is told",
        params,
        body: z.object({ reason: text(2_000) }),
        response: { 200: requestView },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const extended = await inCallerTenant(db, request, async (trx) => {
        const updated = await extendPrivacyRequest(trx, request.params.id, request.body.reason, actor);
        await recordAuditEvent(trx, audit(actor, 'privacy.request.extended', updated, { dueAt: updated.dueAt.toISOString() }));
        return updated;
      });
      return toView(extended);
    },
  );

  app.get(
    '/v1/privacy-requests/:id/export',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Download everything held about the subject of an access request (streamed JSON)',
        params,
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const tenantId = principalOf(request).tenantId;
      const found = await inCallerTenant(db, request, async (trx) => {
        const found = await getPrivacyRequest(trx, request.params.id);
        checkActionAllowed(found, 'access', ['in_progress', 'completed']);
        await appendTrail(trx, { requestId: found.id, actor, action: 'access_exported' });
        await recordAuditEvent(trx, audit(actor, 'privacy.request.exported', found));
        return found;
      });
      const chunks = exportSubjectData((work) => withTenant(db, tenantId, work), exportSections, found.subject, {
        request: { id: found.id, regime: found.regime, receivedAt: found.receivedAt },
      });
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="subject-export-${found.id}.json"`)
        .send(Readable.from(chunks));
    },
  );

  app.post(
    '/v1/privacy-requests/:id/erasure',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Erase the subject: withdraw every consent, shred the vault, remove the person from segments and stored PSI matches, keep a suppression tombstone, notify recipients',
        params,
        body: z
          .object({
            identifiers: z.array(z.object({ type: z.string().regex(IDENTIFIER_TYPE), hash: z.string().regex(IDENTIFIER_HASH, 'lower-case hex of the hashed identifier') })).max(50).default([]),
          })
          .prefault({}),
        response: {
          200: z.object({
            request: requestView,
            withdrawnSeqs: z.array(z.number()),
            fieldsDeleted: z.number(),
            keyShredded: z.boolean(),
            tombstonesAdded: z.number(),
            recipients: z.array(z.string()),
            jobId: z.uuid().nullable(),
            alreadyErased: z.boolean(),
            removals: z.array(removalView),
          }),
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return inCallerTenant(db, request, async (trx) => {
        const found = await getPrivacyRequest(trx, request.params.id, true);
        checkActionAllowed(found, 'erasure');
        const outcome = await eraseSubject(trx, { vault, identifiers: identifierKeys }, found, request.body.identifiers);
        const { recipients, ...counts } = outcome;
        await appendTrail(trx, { requestId: found.id, actor, action: 'erasure_performed', details: { ...counts, recipientCount: recipients.length } });
        const completed = await transitionPrivacyRequest(trx, found.id, { to: 'completed' }, actor);
        await recordAuditEvent(trx, audit(actor, 'privacy.request.erased', completed, { ...counts, recipients }));
        return { request: toView(completed), ...outcome };
      });
    },
  );

  app.post(
    '/v1/privacy-requests/:id/rectification',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['privacy'],
        summary: 'Replace a personal value the vault holds for the subject; the trail names the field, never the values',
        params,
        body: z.object({ field, value: personalValue }),
        response: { 200: z.object({ field: z.string(), rectified: z.literal(true) }) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      await inCallerTenant(db, request, async (trx) => {
        const found = await getPrivacyRequest(trx, request.params.id, true);
        checkActionAllowed(found, 'rectification');
        await vault.rectify(trx, found.subject, request.body.field, request.body.value);
        await appendTrail(trx, { requestId: found.id, actor, action: 'field_rectified', details: { field: request.body.field } });
        await recordAuditEvent(trx, audit(actor, 'privacy.request.rectified', found, { field: request.body.field }));
      });
      return { field: request.body.field, rectified: true as const };
    },
  );

  app.post(
    '/v1/personal-data',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['privacy'],
        summary: "Store one of a subject's personal values (contact point, note, attribute) sealed in the subject vault",
        body: z.object({ subject: text(200), field, value: personalValue }),
        response: { 200: z.object({ created: z.boolean() }), 201: z.object({ created: z.boolean() }) },
      },
    },
    async (request, reply) => {
      const { subject, field: name, value } = request.body;
      const stored = await inCallerTenant(db, request, async (trx) => {
        const result = await vault.put(trx, subject, name, value);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'privacy.personal_data.stored', targetType: 'subject', targetId: subject.normalize('NFC'), details: { field: name, created: result.created } });
        return result;
      });
      return reply.code(stored.created ? 201 : 200).send(stored);
    },
  );
};
