/**
 * Signals from the wild over HTTP: the privacy officer's mapping table (internal purpose → TCF,
 * GPP, Google Consent Mode, DPV), the signal endpoint that turns TC strings, GPP strings and GPC
 * into ledger events, and the Google Consent Mode export derived from the ledger.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import { MAX_GPP_STRING_LENGTH, usOptOutFields } from '../../consent/signals/gpp-string.ts';
import { gpcFromHeader } from '../../consent/signals/gpc-signal.ts';
import { consentModeSignals } from '../../consent/signals/signal-mapping.ts';
import { MAX_TC_STRING_LENGTH } from '../../consent/signals/tcf-string.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import { consentModeFor, partitionByConsentMode } from '../../core/consent/consent-mode.ts';
import { recordConsentSignals } from '../../core/consent/consent-signals.ts';
import { currentSignalMapping, publishSignalMapping } from '../../core/consent/signal-mappings.ts';
import type { Database } from '../../core/db/schema.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const text = (max: number) => z.string().min(1).max(max);
const regime = z.enum(regimes);
const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
const MAX_MAPPING_ENTRIES = 500;
/** About the number of identifiers Google recommends per upload call. */
const MAX_PARTITION_SUBJECTS = 10_000;

const mappingEntry = z.object({
  purpose: text(200),
  recipient: z.string().max(200).default(''),
  tcfPurposes: z.array(z.number().int()).max(11).default([]),
  tcfVendorId: z.number().int().nullable().default(null),
  gppUsnat: z.array(z.enum(usOptOutFields)).max(usOptOutFields.length).default([]),
  googleConsentMode: z.array(z.enum(consentModeSignals)).max(consentModeSignals.length).default([]),
  dpvPurpose: z.string().max(500).nullable().default(null),
});
const mapping = z.object({ version: z.number(), entries: z.array(mappingEntry) });

const consentModeValue = z.enum(['GRANTED', 'DENIED']);

export const consentSignalRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async (app, { db }) => {
  app.post(
    '/v1/consent/signal-mappings',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent-signals'],
        summary: 'Publish the next version of the signal mapping (the whole table)',
        body: z.object({ entries: z.array(mappingEntry).max(MAX_MAPPING_ENTRIES) }),
        response: { 201: mapping },
      },
    },
    async (request, reply) => {
      const published = await inCallerTenant(db, request, async (trx) => {
        const actor = actorOf(request);
        const result = await publishSignalMapping(trx, request.body.entries, actor);
        await recordAuditEvent(trx, {
          actor,
          action: 'consent.signal_mapping.published',
          targetType: 'signal_mapping',
          targetId: String(result.version),
          details: { entries: result.entries.length },
        });
        return result;
      });
      return reply.code(201).send(published);
    },
  );

  app.get(
    '/v1/consent/signal-mappings/current',
    {
      config: { scope: 'consent:read' },
      schema: { tags: ['consent-signals'], summary: 'The signal mapping in force (version 0 and no entries before the first)', response: { 200: mapping } },
    },
    async (request) => inCallerTenant(db, request, currentSignalMapping),
  );

  app.post(
    '/v1/consent/signals',
    {
      config: { scope: 'consent:write' },
      schema: {
        tags: ['consent-signals'],
        summary: 'Record a TC string, GPP string and/or GPC signal (body field or Sec-GPC: 1 header) as consent events',
        headers: z.object({ 'sec-gpc': z.string().max(10).optional() }),
        body: z.object({
          subject: text(200),
          regime,
          collectedAt: instant,
          source: text(200),
          noticeId: z.uuid().optional(),
          tcString: text(MAX_TC_STRING_LENGTH).optional(),
          gppString: text(MAX_GPP_STRING_LENGTH).optional(),
          gpc: z.boolean().optional(),
        }),
        response: {
          201: z.object({
            mappingVersion: z.number(),
            signals: z.array(
              z.object({
                id: z.uuid(),
                kind: z.enum(['tcf', 'gpp', 'gpc']),
                duplicate: z.boolean(),
                verdict: z.object({ valid: z.boolean(), standard: z.string(), notes: z.array(z.string()) }),
                events: z.array(z.object({ seq: z.number(), purpose: z.string(), recipient: z.string(), kind: z.string() })),
              }),
            ),
          }),
        },
      },
    },
    async (request, reply) => {
      const { gpc, ...body } = request.body;
      const via = gpcFromHeader(request.headers['sec-gpc']) ? 'header' : gpc ? 'field' : undefined;
      const result = await inCallerTenant(db, request, (trx) => recordConsentSignals(trx, { ...body, gpc: via && { via } }));
      return reply.code(201).send(result);
    },
  );

  app.get(
    '/v1/consent/google-consent-mode',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent-signals'],
        summary: "A subject's Google Consent Mode values for a destination, derived from the ledger (missing = DENIED)",
        querystring: z.object({ subject: text(200), destination: text(200), regime, at: instant.optional() }),
        response: {
          200: z.object({ subject: z.string(), destination: z.string(), ad_user_data: consentModeValue, ad_personalization: consentModeValue, mappingVersion: z.number() }),
        },
      },
    },
    async (request) => {
      const { subject, destination, regime: inRegime, at } = request.query;
      const { mappingVersion, modes } = await inCallerTenant(db, request, (trx) => consentModeFor(trx, [subject], { destination, regime: inRegime, at: at ?? new Date() }));
      const { ad_user_data, ad_personalization } = modes[0]!;
      return { subject, destination, ad_user_data, ad_personalization, mappingVersion };
    },
  );

  app.post(
    '/v1/consent/google-consent-mode/partitions',
    {
      config: { scope: 'consent:read' },
      schema: {
        tags: ['consent-signals'],
        summary: 'Split subjects by their Consent Mode pair: Customer Match sets consent per job, so send one job per partition',
        body: z.object({ subjects: z.array(text(200)).min(1).max(MAX_PARTITION_SUBJECTS), destination: text(200), regime, at: instant.optional() }),
        response: {
          200: z.object({
            mappingVersion: z.number(),
            partitions: z.array(z.object({ ad_user_data: consentModeValue, ad_personalization: consentModeValue, subjects: z.array(z.string()) })),
          }),
        },
      },
    },
    async (request) => {
      const { subjects, destination, regime: inRegime, at } = request.body;
      return inCallerTenant(db, request, (trx) => partitionByConsentMode(trx, subjects, { destination, regime: inRegime, at: at ?? new Date() }));
    },
  );
};
