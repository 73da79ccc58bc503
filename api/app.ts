/**
 * The HTTP application: plugins (errors, auth, idempotency, rate limits, metrics, OpenAPI) and
 * routes, registered in one place. It receives everything it needs; it opens nothing itself.
 */
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import type { AudienceConnectors } from '../core/activation/audience-connectors.ts';
import { SyncEngine } from '../core/activation/send-chunk.ts';
import type { ConsentGate } from '../core/consent/consent-gate.ts';
import type { Database } from '../core/db/schema.ts';
import type { NodeIdentity } from '../core/identity/node-identity.ts';
import { psiNodeOf } from '../core/psi/psi-node.ts';
import { PsiEngines } from '../core/psi/psi-engines.ts';
import type { ScoringPolicy } from '../core/scoring/model-spec.ts';
import { scoringNodeOf } from '../core/scoring/scoring-node.ts';
import { ApiError } from './errors.ts';
import { auth, presentedKeyId } from './plugins/auth.ts';
import { openApi } from './plugins/openapi.ts';
import { consolePages } from './plugins/console-pages.ts';
import { consoleSession } from './plugins/console-session.ts';
import { nodeAuth } from './plugins/node-auth.ts';
import { idempotency } from './plugins/idempotency.ts';
import { httpMetrics, type Metrics } from './plugins/metrics.ts';
import { frameworkErrorHandler, problemDetails } from './plugins/problem-details.ts';
import { activationRoutes } from './routes/activation-routes.ts';
import { collaborationRoutes } from './routes/collaboration-routes.ts';
import { nodeCollaborationRoutes } from './routes/node-collaboration-routes.ts';
import { psiNodeRoutes } from './routes/psi-node-routes.ts';
import { modelNodeRoutes } from './routes/model-node-routes.ts';
import { modelRoutes } from './routes/model-routes.ts';
import { psiRoutes } from './routes/psi-routes.ts';
import { consentCatalogueRoutes } from './routes/consent-catalogue-routes.ts';
import { collaborationBudgetRoutes } from './routes/collaboration-budget-routes.ts';
import { consoleSessionRoutes } from './routes/console-session-routes.ts';
import { preferenceCentreRoutes } from './routes/preference-centre-routes.ts';
import { consentCollectionRoutes } from './routes/consent-collection-routes.ts';
import { consentImportRoutes } from './routes/consent-import-routes.ts';
import { consentPreferenceRoutes } from './routes/consent-preference-routes.ts';
import { consentReceiptRoutes } from './routes/consent-receipt-routes.ts';
import { consentRoutes } from './routes/consent-routes.ts';
import { consentSignalRoutes } from './routes/consent-signal-routes.ts';
import { consoleUserRoutes } from './routes/console-user-routes.ts';
import { jobRoutes } from './routes/job-routes.ts';
import { keyRoutes } from './routes/key-routes.ts';
import { tenantRoutes } from './routes/tenant-routes.ts';
import { ingestRoutes } from './routes/ingest-routes.ts';
import { peerRoutes } from './routes/peer-routes.ts';
import { personLookupRoutes } from './routes/person-lookup-routes.ts';
import { privacyRequestRoutes } from './routes/privacy-request-routes.ts';
import { recordRoutes } from './routes/record-routes.ts';
import { segmentRoutes } from './routes/segment-routes.ts';
import { systemRoutes } from './routes/system-routes.ts';
import { tagRoutes } from './routes/tag-routes.ts';
import { version } from './version.ts';

export interface AppDeps {
  db: Kysely<Database>;
  identity: NodeIdentity;
  /** Root of the keys derived for sealing (the subject vault); never leaves the process. */
  masterKey: Uint8Array;
  metrics: Metrics;
  readinessChecks: Record<string, () => Promise<void>>;
  bodyLimitBytes: number;
  rateLimitPerMinute: number;
  logLevel: string;
  /** The node's PSI worker pools, shared with its job processors; the app makes (and closes) its own if absent. */
  psiEngines?: PsiEngines;
  /** The process's one consent gate, shared with its job processors (its projections are loaded once). */
  gate: ConsentGate;
  /** Where the built console is (default console/dist); tests serve their own build. */
  consoleRoot?: string;
  /** Federated scoring's policy (batch, release and audit minimums); the defaults unless given. */
  scoringPolicy?: ScoringPolicy;
  /** The ad-platform connectors syncs send through; none when absent (destinations are then refused). */
  audienceConnectors?: AudienceConnectors;
}

const noConnectors: AudienceConnectors = { find: () => undefined, destinations: [], baseUrlOf: () => undefined };

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: deps.logLevel },
    bodyLimit: deps.bodyLimitBytes,
    // A caller's X-Request-Id is kept when it is sane, so logs can be joined across nodes.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  // Fastify hands a missing body to the validator as null; as undefined, an optional body's defaults apply.
  app.setValidatorCompiler((route) => {
    const validate = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
    return route.httpPart === 'body' ? (data: unknown) => validate(data ?? undefined) : validate;
  });
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: anything else on a route with a body is a 415, not a string handed to the schema.
  app.removeContentTypeParser('text/plain');
  // An empty JSON body is no body, as is none at all: a route whose body is optional (its schema has
  // defaults) takes both, whatever the client sends with a bodiless POST; a required body is still
  // refused by its schema, naming the body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => (body === '' ? done(null, undefined) : parseJson(request, body as string, done)));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(problemDetails);
  await app.register(openApi, { version });

  // Limits come before authentication, so failed keys count too and cost no database lookup.
  // The bucket is the key id the caller presents (unverified) together with its address: a caller
  // cannot drain someone else's bucket by sending their key id from elsewhere.
  await app.register(rateLimit, { global: false });
  const limit = app.rateLimit({
    max: deps.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => `${presentedKeyId(request) ?? '-'}|${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      new ApiError('ACCORD_ERR_RATE_LIMITED', `more than ${context.max} requests in ${context.after}; retry later`),
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.rateLimit !== false) await limit.call(app, request, reply);
  });
  // Before auth: a console page's session cookie stands in for a key (CSRF-checked).
  await app.register(consoleSession, { db: deps.db });
  await app.register(auth, { db: deps.db });
  await app.register(nodeAuth, { db: deps.db, identity: deps.identity });
  await app.register(idempotency, { db: deps.db });
  await app.register(httpMetrics, { metrics: deps.metrics });

  await app.register(systemRoutes, { identity: deps.identity, version, readinessChecks: deps.readinessChecks });
  await app.register(keyRoutes, { db: deps.db });
  await app.register(consoleUserRoutes, { db: deps.db });
  await app.register(tenantRoutes, { db: deps.db });
  await app.register(peerRoutes, { db: deps.db });
  await app.register(recordRoutes, { db: deps.db });
  await app.register(jobRoutes, { db: deps.db });
  const consentDeps = { db: deps.db, identity: deps.identity, masterKey: deps.masterKey };
  await app.register(consentRoutes, consentDeps);
  await app.register(consentCatalogueRoutes, { db: deps.db });
  await app.register(consentCollectionRoutes, consentDeps);
  await app.register(consentPreferenceRoutes, consentDeps);
  await app.register(privacyRequestRoutes, consentDeps);
  await app.register(consentImportRoutes, consentDeps);
  await app.register(consentSignalRoutes, consentDeps);
  await app.register(consentReceiptRoutes, consentDeps);
  await app.register(ingestRoutes, consentDeps);
  await app.register(personLookupRoutes, { db: deps.db, masterKey: deps.masterKey });
  await app.register(tagRoutes, { ...consentDeps, gate: deps.gate });
  await app.register(segmentRoutes, { ...consentDeps, gate: deps.gate });
  await app.register(collaborationRoutes, { db: deps.db, identity: deps.identity });
  await app.register(collaborationBudgetRoutes, { db: deps.db });
  await app.register(nodeCollaborationRoutes, { db: deps.db });
  const engines = deps.psiEngines ?? new PsiEngines();
  if (!deps.psiEngines) app.addHook('onClose', () => engines.close());
  const psi = psiNodeOf(deps.identity, deps.masterKey, engines, deps.gate);
  await app.register(psiRoutes, { db: deps.db, psi });
  await app.register(psiNodeRoutes, { db: deps.db, psi });
  await app.register(consoleSessionRoutes, { db: deps.db });
  await app.register(preferenceCentreRoutes, { db: deps.db, identity: deps.identity });
  await app.register(consolePages, deps.consoleRoot ? { root: deps.consoleRoot } : {});
  const scoring = scoringNodeOf(deps.identity, deps.masterKey, deps.gate, deps.scoringPolicy);
  await app.register(modelRoutes, { db: deps.db, scoring });
  await app.register(modelNodeRoutes, { db: deps.db, scoring });
  const engine = new SyncEngine({ connectors: deps.audienceConnectors ?? noConnectors, masterKey: deps.masterKey, gate: deps.gate });
  await app.register(activationRoutes, { db: deps.db, masterKey: deps.masterKey, engine });
  return app;
}
