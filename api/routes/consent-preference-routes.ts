/**
 * Contact preferences over HTTP: set (replace or merge) and read a subject's preferences and their
 * history, ask whether a subject may be contacted (consent first, then preferences and caps), log
 * sends for frequency caps, log notices served, and read consent rates. A subject nobody has heard
 * of reads exactly like a known subject without preferences.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import { recordContact } from '../../core/consent/contact-log.ts';
import { consentRateReport } from '../../core/consent/consent-rate-report.ts';
import { MAX_SUBJECTS_PER_CONTACT_CHECK, mayContact, mayContactMany } from '../../core/consent/may-contact.ts';
import { recordNoticeImpression } from '../../core/consent/notice-impressions.ts';
import { currentPreferences, preferenceHistory } from '../../core/consent/read-preferences.ts';
import { recordPreferenceChange } from '../../core/consent/record-preference-change.ts';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const text = (max: number) => z.string().min(1).max(max);
const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
/** Small maps only: the catalogue has a handful of channels and cap periods; the rules say which names are valid. */
const smallRecord = <T extends z.ZodType>(value: T) => z.record(z.string().max(40), value).refine((map) => Object.keys(map).length <= 20, 'at most 20 entries');

const quietHours = z.strictObject({ timeZone: z.string().max(64), start: z.string().max(8), end: z.string().max(8) });
const preferencesIn = z.strictObject({
  channels: smallRecord(z.enum(['opt_in', 'opt_out']).nullable()).optional(),
  quietHours: quietHours.nullable().optional(),
  frequencyCaps: smallRecord(smallRecord(z.number()).nullable()).optional(),
  topics: z.strictObject({ subscribed: z.array(z.string().max(200)).max(1_000).optional(), unsubscribed: z.array(z.string().max(200)).max(1_000).optional() }).optional(),
  language: z.string().max(64).nullable().optional(),
});
const changeBody = z.strictObject({
  clientChangeId: text(200),
  /** Where the change was collected (web, app, call-centre), not a contact channel. */
  channel: text(100),
  source: text(200),
  collectedAt: instant,
  preferences: preferencesIn,
});

const preferencesOut = z.object({
  channels: z.record(z.string(), z.string()),
  quietHours: quietHours.nullable(),
  frequencyCaps: z.record(z.string(), z.record(z.string(), z.number())),
  topics: z.object({ subscribed: z.array(z.string()), unsubscribed: z.array(z.string()) }),
  language: z.string().nullable(),
});
const subjectParams = z.object({ subject: text(200) });
const contactContext = {
  channel: text(40),
  purpose: text(200),
  recipient: text(200).optional(),
  regime: z.enum(regimes),
  topic: text(200).optional(),
  at: instant.optional(),
};
const contactAnswer = z.object({
  subject: z.string(),
  allowed: z.boolean(),
  reason: z.string(),
  consent: z.object({ allowed: z.boolean(), reason: z.string() }),
  capPeriod: z.string().optional(),
});

export const consentPreferenceRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async (app, { db }) => {
  const changes = [
    { method: 'PUT', mode: 'replace', summary: "Replace a subject's preferences (fields left out are cleared)" },
    { method: 'PATCH', mode: 'merge', summary: "Change some of a subject's preferences (fields left out are kept)" },
  ] as const;
  for (const { method, mode, summary } of changes) {
    app.route({
      method,
      url: '/v1/consent/preferences/:subject',
      config: { scope: 'consent:write' },
      schema: {
        tags: ['preferences'],
        summary,
        params: subjectParams,
        body: changeBody,
        response: { 200: z.object({ seq: z.number(), duplicate: z.boolean(), preferences: preferencesOut }) },
      },
      handler: async (request) =>
        inCallerTenant(db, request, (trx) => recordPreferenceChange(trx, { ...request.body, subject: request.params.subject, mode, actor: actorOf(request) })),
    });
  }

  app.get(
    '/v1/consent/preferences/:subject',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['preferences'],
        summary: "A subject's current preferences; the defaults for a subject without any",
        params: subjectParams,
        response: { 200: z.object({ subject: z.string(), preferences: preferencesOut, updatedAt: z.string().nullable() }) },
      },
    },
    async (request) => {
      const current = await inCallerTenant(db, request, (trx) => currentPreferences(trx, request.params.subject));
      return { ...current, updatedAt: current.updatedAt?.toISOString() ?? null };
    },
  );

  app.get(
    '/v1/consent/preferences/:subject/history',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['preferences'],
        summary: "A subject's preference changes, newest recorded first",
        params: subjectParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), beforeSeq: z.coerce.number().int().positive().optional() }),
        response: {
          200: z.object({
            changes: z.array(z.object({
              seq: z.number(),
              clientChangeId: z.string(),
              mode: z.string(),
              preferences: z.unknown(),
              actor: z.string(),
              channel: z.string(),
              source: z.string(),
              collectedAt: z.string(),
              receivedAt: z.string(),
            })),
          }),
        },
      },
    },
    async (request) => {
      const changes = await inCallerTenant(db, request, (trx) => preferenceHistory(trx, request.params.subject, request.query));
      return { changes: changes.map((c) => ({ ...c, collectedAt: c.collectedAt.toISOString(), receivedAt: c.receivedAt.toISOString() })) };
    },
  );

  app.post(
    '/v1/consent/may-contact',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['preferences'],
        summary: 'May this subject be contacted on this channel now? Consent for the purpose first, then preferences and caps.',
        body: z.strictObject({ subject: text(200), ...contactContext, sentInWindow: z.number().int().min(0).max(10_000).optional() }),
        response: { 200: contactAnswer },
      },
    },
    async (request) => inCallerTenant(db, request, (trx) => mayContact(trx, { ...request.body, at: request.body.at ?? new Date() })),
  );

  app.post(
    '/v1/consent/may-contact/batch',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['preferences'],
        summary: 'Which of these subjects may be contacted on this channel now, and why not the rest',
        body: z.strictObject({ subjects: z.array(text(200)).min(1).max(MAX_SUBJECTS_PER_CONTACT_CHECK), ...contactContext }),
        response: { 200: z.object({ allowed: z.array(z.string()), denied: z.array(contactAnswer) }) },
      },
    },
    async (request) => inCallerTenant(db, request, (trx) => mayContactMany(trx, { ...request.body, at: request.body.at ?? new Date() })),
  );

  app.post(
    '/v1/consent/contacts',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['preferences'],
        summary: 'Log a message sent, so frequency caps count it (idempotent per clientSendId)',
        body: z.strictObject({ clientSendId: text(200), subject: text(200), channel: text(40), topic: text(200).optional(), sentAt: instant }),
        response: { 201: z.object({ duplicate: z.boolean() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await inCallerTenant(db, request, (trx) => recordContact(trx, request.body))),
  );

  app.post(
    '/v1/consent/impressions',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['consent analytics'],
        summary: 'Log a notice version served (idempotent per clientImpressionId)',
        body: z.strictObject({ clientImpressionId: text(200), noticeId: z.uuid(), purposes: z.array(text(200)).min(1).max(100).optional(), channel: text(100), servedAt: instant }),
        response: { 201: z.object({ duplicate: z.boolean() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await inCallerTenant(db, request, (trx) => recordNoticeImpression(trx, request.body))),
  );

  app.get(
    '/v1/consent/reports/consent-rates',
    {
      config: { scope: ['consent:read', 'privacy:admin'] },
      schema: {
        tags: ['consent analytics'],
        summary: 'Notices served and people who gave, refused and withdrew consent, per purpose, channel and notice version',
        querystring: z.object({ from: instant, to: instant, purpose: text(200).optional() }),
        response: {
          200: z.object({
            from: z.string(),
            to: z.string(),
            rows: z.array(z.object({
              purpose: z.string(),
              channel: z.string(),
              noticeId: z.string(),
              noticeKey: z.string(),
              noticeVersion: z.number(),
              language: z.string(),
              served: z.number(),
              given: z.number(),
              refused: z.number(),
              withdrawn: z.number(),
              consentRate: z.number().nullable(),
            })),
          }),
        },
      },
    },
    async (request) => {
      const rows = await inCallerTenant(db, request, (trx) => consentRateReport(trx, request.query));
      return { from: request.query.from.toISOString(), to: request.query.to.toISOString(), rows };
    },
  );
};
