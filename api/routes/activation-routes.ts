/**
 * Activation over HTTP: destinations (ad accounts with sealed credentials, which no answer ever
 * carries), syncs of an audience to destinations for a purpose, their dry-run preview, runs with
 * per-destination state and match signals, and the rows a run dead-lettered.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import type { Destination } from '../../core/activation/destinations.ts';
import { createDestination, disableDestination, findDestination, listDestinations } from '../../core/activation/destinations.ts';
import type { SyncEngine } from '../../core/activation/send-chunk.ts';
import { previewSync } from '../../core/activation/sync-preview.ts';
import { listRuns, requireRun, runDeadLetters, startRun, type RunView } from '../../core/activation/sync-runs.ts';
import { createSync, listSyncs, requireSync, type Sync } from '../../core/activation/syncs.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { notFound } from '../../core/errors.ts';
import { actorOf, inCallerTenant } from '../plugins/auth.ts';

const id = z.coerce.number().int().positive();
const idParams = z.object({ id });
const name = z.string().min(1).max(200);
const secret = z.string().min(1).max(4096);

const destinationBody = z.object({
  connector: z.string().min(1).max(40),
  name,
  accountId: z.string().min(1).max(64),
  credentials: z.object({ accessToken: secret, refreshToken: secret.optional(), clientId: secret.optional(), clientSecret: secret.optional() }).strict(),
});
const destinationView = z.object({ id: z.number(), platform: z.string(), connector: z.string(), name: z.string(), accountId: z.string(), status: z.enum(['active', 'disabled']), createdAt: z.string(), disabledAt: z.string().nullable() });
const toDestinationView = (d: Destination): z.output<typeof destinationView> => ({ ...d, createdAt: d.createdAt.toISOString(), disabledAt: d.disabledAt?.toISOString() ?? null });

const audience = z.union([z.object({ segmentId: z.number().int().positive() }).strict(), z.object({ psiRunId: z.string().uuid() }).strict()]);
const syncBody = z.object({
  name,
  audience,
  destinations: z.array(z.object({ id: z.number().int().positive(), idTypes: z.array(z.string().min(1).max(60)).max(10).optional() }).strict()).min(1).max(20),
  purpose: z.string().min(1).max(200),
  regime: z.enum(regimes),
  scheduleSeconds: z.number().int().min(60).max(2_592_000).nullable().default(null),
});
const syncView = z.object({
  id: z.number(),
  name: z.string(),
  audience: z.union([z.object({ segmentId: z.number() }), z.object({ psiRunId: z.string() })]),
  purpose: z.string(),
  regime: z.string(),
  scheduleSeconds: z.number().nullable(),
  status: z.enum(['active', 'disabled']),
  createdAt: z.string(),
  destinations: z.array(z.object({ destinationId: z.number(), connector: z.string(), status: z.enum(['active', 'disabled']), idTypes: z.array(z.string()), platformAudienceId: z.string().nullable() })),
});
const toSyncView = (s: Sync): z.output<typeof syncView> => ({
  id: s.id,
  name: s.name,
  audience: s.audience.kind === 'segment' ? { segmentId: s.audience.segmentId } : { psiRunId: s.audience.psiRunId },
  purpose: s.purpose,
  regime: s.regime,
  scheduleSeconds: s.scheduleSeconds,
  status: s.status,
  createdAt: s.createdAt.toISOString(),
  destinations: s.destinations.map((d) => ({ destinationId: d.destinationId, connector: d.connector, status: d.status, idTypes: [...d.idTypes], platformAudienceId: d.audience?.id ?? null })),
});

const state = z.enum(['planned', 'uploading', 'processing', 'done', 'partial', 'failed']);
const runView = z.object({
  id: z.number(),
  syncId: z.number(),
  trigger: z.enum(['manual', 'schedule']),
  state,
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  destinations: z.array(
    z.object({
      destinationId: z.number(),
      state,
      plannedAdds: z.number(),
      plannedRemoves: z.number(),
      added: z.number(),
      removed: z.number(),
      consentExcluded: z.number(),
      deadLettered: z.number(),
      keptForMinimumSize: z.number(),
      requests: z.number(),
      match: z.unknown(),
      error: z.string().nullable(),
    }),
  ),
});
const toRunView = (r: RunView): z.output<typeof runView> => ({ ...r, createdAt: r.createdAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null });
const denied = z.object({ noConsent: z.number(), refused: z.number(), expired: z.number() });

export const activationRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; masterKey: Uint8Array; engine: SyncEngine }> = async (app, { db, masterKey, engine }) => {
  const connectors = engine.deps.connectors;

  app.post(
    '/v1/destinations',
    { config: { scope: 'activation:write' }, schema: { tags: ['activation'], summary: 'Connect an ad account; its credentials are sealed and never returned', body: destinationBody, response: { 201: destinationView } } },
    async (request, reply) => {
      const created = await inCallerTenant(db, request, async (trx) => {
        const destination = await createDestination(trx, connectors, masterKey, request.body);
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'destinations.created', targetType: 'destination', targetId: String(destination.id), details: { connector: destination.connector, accountId: destination.accountId } });
        return destination;
      });
      return reply.code(201).send(toDestinationView(created));
    },
  );

  app.get('/v1/destinations', { config: { scope: 'activation:read' }, schema: { tags: ['activation'], summary: "The tenant's destinations, without credentials", response: { 200: z.object({ destinations: z.array(destinationView) }) } } }, async (request) => ({
    destinations: (await inCallerTenant(db, request, listDestinations)).map(toDestinationView),
  }));

  app.get('/v1/destinations/:id', { config: { scope: 'activation:read' }, schema: { tags: ['activation'], summary: 'One destination, without credentials', params: idParams, response: { 200: destinationView } } }, async (request) => {
    const destination = await inCallerTenant(db, request, (trx) => findDestination(trx, request.params.id));
    if (!destination) throw notFound('destination');
    return toDestinationView(destination);
  });

  app.delete(
    '/v1/destinations/:id',
    { config: { scope: 'activation:write' }, schema: { tags: ['activation'], summary: 'Disable a destination: no new syncs or runs; removals still reach it', params: idParams, response: { 200: destinationView } } },
    async (request) =>
      toDestinationView(
        await inCallerTenant(db, request, async (trx) => {
          const destination = await disableDestination(trx, request.params.id);
          await recordAuditEvent(trx, { actor: actorOf(request), action: 'destinations.disabled', targetType: 'destination', targetId: String(destination.id), details: {} });
          return destination;
        }),
      ),
  );

  app.post(
    '/v1/syncs',
    { config: { scope: 'activation:write' }, schema: { tags: ['activation'], summary: 'Sync an audience (a segment or the matches of a PSI run) to destinations for a purpose, once or on a schedule', body: syncBody, response: { 201: syncView } } },
    async (request, reply) => {
      const { audience: wanted, ...rest } = request.body;
      const created = await inCallerTenant(db, request, async (trx) => {
        const sync = await createSync(trx, connectors, { ...rest, audience: 'segmentId' in wanted ? { kind: 'segment', segmentId: wanted.segmentId } : { kind: 'psi_matches', psiRunId: wanted.psiRunId } });
        await recordAuditEvent(trx, { actor: actorOf(request), action: 'syncs.created', targetType: 'sync', targetId: String(sync.id), details: { purpose: sync.purpose, destinations: sync.destinations.map((d) => d.destinationId) } });
        return sync;
      });
      return reply.code(201).send(toSyncView(created));
    },
  );

  app.get('/v1/syncs', { config: { scope: 'activation:read' }, schema: { tags: ['activation'], summary: "The tenant's syncs", response: { 200: z.object({ syncs: z.array(syncView) }) } } }, async (request) => ({
    syncs: (await inCallerTenant(db, request, listSyncs)).map(toSyncView),
  }));

  app.get('/v1/syncs/:id', { config: { scope: 'activation:read' }, schema: { tags: ['activation'], summary: 'One sync', params: idParams, response: { 200: syncView } } }, async (request) =>
    toSyncView(await inCallerTenant(db, request, (trx) => requireSync(trx, request.params.id))),
  );

  app.post(
    '/v1/syncs/:id/preview',
    {
      config: { scope: 'activation:write' },
      schema: {
        tags: ['activation'],
        summary: 'Dry run: per destination, members by id type, rejects by reason, consent exclusions, what would be added and removed (writes the gate’s processing record, sends nothing)',
        params: idParams,
        response: {
          200: z.object({
            destinations: z.array(z.object({ destinationId: z.number(), connector: z.string(), audienceMembers: z.number(), consented: z.number(), consentExcluded: denied, membersByIdType: z.record(z.string(), z.number()), rejects: z.record(z.string(), z.number()), adds: z.number(), removes: z.number(), onPlatform: z.number() })),
          }),
        },
      },
    },
    async (request) => ({ destinations: await inCallerTenant(db, request, (trx) => previewSync(trx, engine, request.params.id, actorOf(request))) }),
  );

  app.post(
    '/v1/syncs/:id/runs',
    { config: { scope: 'activation:write' }, schema: { tags: ['activation'], summary: 'Start a run; while one is open, a second start joins it (200) instead of starting another (202)', params: idParams, response: { 200: z.object({ run: runView, joined: z.boolean() }), 202: z.object({ run: runView, joined: z.boolean() }) } } },
    async (request, reply) => {
      const started = await inCallerTenant(db, request, async (trx) => {
        const result = await startRun(trx, request.params.id, actorOf(request));
        if (!result.joined) await recordAuditEvent(trx, { actor: actorOf(request), action: 'syncs.run-started', targetType: 'sync', targetId: String(request.params.id), details: { runId: result.run.id } });
        return result;
      });
      return reply.code(started.joined ? 200 : 202).send({ run: toRunView(started.run), joined: started.joined });
    },
  );

  app.get('/v1/syncs/:id/runs', { config: { scope: 'activation:read' }, schema: { tags: ['activation'], summary: 'The sync’s runs, newest first (at most 100)', params: idParams, response: { 200: z.object({ runs: z.array(runView) }) } } }, async (request) => ({
    runs: (await inCallerTenant(db, request, (trx) => listRuns(trx, request.params.id))).map(toRunView),
  }));

  app.get(
    '/v1/syncs/:id/runs/:runId',
    {
      config: { scope: 'activation:read' },
      schema: {
        tags: ['activation'],
        summary: 'One run with its dead-lettered rows (person, destination, reason)',
        params: z.object({ id, runId: id }),
        response: { 200: runView.extend({ deadLetters: z.array(z.object({ personId: z.number(), destinationId: z.number(), op: z.string(), reason: z.string(), detail: z.string(), at: z.string() })) }) },
      },
    },
    async (request) =>
      inCallerTenant(db, request, async (trx) => {
        const run = await requireRun(trx, request.params.runId);
        if (run.syncId !== request.params.id) throw notFound('sync run');
        const deadLetters = (await runDeadLetters(trx, run.id)).map((d) => ({ ...d, at: d.at.toISOString() }));
        return { ...toRunView(run), deadLetters };
      }),
  );
};
