/**
 * Every route of the app is authenticated by an API key (`config.scope`), by a node signature
 * (`config.nodeAuth`), or says why it is public (`config.public`). The routes are listed as the app
 * registers them, so a new route is covered without touching this file: each API-key route must
 * answer 401 without a key and 403 with a key that lacks its scope, each node route 401 to an
 * unsigned request without reading its body.
 */
import type * as FastifyModule from 'fastify';
import type { FastifyContextConfig, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scopes, type Scope } from '../../core/tenancy/scopes.ts';
import { countedUpload, UPLOAD_CHUNK } from '../support/counted-upload.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

interface Registered {
  readonly method: string | string[];
  readonly url: string;
  readonly config?: FastifyContextConfig;
}

const registered = vi.hoisted((): Registered[] => []);

// The real fastify, with one onRoute hook added as the app is created, before any route exists.
vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<typeof FastifyModule>();
  const listingRoutes = ((options: Parameters<typeof actual.default>[0]) => {
    const app = actual.default(options);
    // The options object itself: hooks of inner plugins (the docs page's) may still change it.
    app.addHook('onRoute', (route) => void registered.push(route));
    return app;
  }) as typeof actual.default;
  return { ...actual, default: listingRoutes };
});

type Authentication = { by: 'apiKey'; scopes: readonly Scope[] } | { by: 'nodeSignature' } | { by: 'public'; reason: string };

interface Route {
  readonly method: string;
  readonly url: string;
  readonly authentication: Authentication | string;
}

/** How the route says it is authenticated, or what is wrong with what it says. */
function authenticationOf(route: Registered): Authentication | string {
  const { scope, nodeAuth, public: reason } = route.config ?? {};
  const markers = [scope !== undefined, nodeAuth !== undefined, reason !== undefined].filter(Boolean).length;
  if (markers !== 1) return `${markers} of scope, nodeAuth and public (exactly one is needed)`;
  if (scope !== undefined) return { by: 'apiKey', scopes: typeof scope === 'string' ? [scope] : scope };
  if (nodeAuth === true) return { by: 'nodeSignature' };
  return typeof reason === 'string' && reason.trim().length > 0 ? { by: 'public', reason } : 'public without a reason';
}

/** Status and problem code; a HEAD answer has no body to carry the code. */
const outcome = (response: LightMyRequestResponse) => `${response.statusCode} ${response.body ? response.json().code : '(no body)'}`;
const expected = (method: string, status: number, code: string) => `${status} ${method === 'HEAD' ? '(no body)' : code}`;

/** A URL for the route with a dummy value for each parameter: authentication comes before validation. */
const urlOf = (path: string) => path.replace(/:[A-Za-z]+/g, '1').replace('*', 'x');

describe.each(storageBackends)('route authentication on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let routes: Route[];
  const keys = new Map<Scope, string>();
  const keyWith = async (scope: Scope) => keys.get(scope) ?? keys.set(scope, (await api.keyFor('brand', [scope])).token).get(scope)!;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    registered.length = 0;
    keys.clear();
    api = await startTestApp(t);
    routes = registered.flatMap((route) => [route.method].flat().map((method) => ({ method, url: route.url, authentication: authenticationOf(route) })));
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('lists the routes of the app, node routes and public ones among them', () => {
    const has = (method: string, url: string, by: Authentication['by']) => routes.some((r) => r.method === method && r.url === url && typeof r.authentication === 'object' && r.authentication.by === by);
    expect(has('POST', '/v1/segments/estimate', 'apiKey')).toBe(true);
    expect(has('POST', '/v1/node/collaborations/:collaborationId/psi-runs/:runId/frames/:idType/:stream', 'nodeSignature')).toBe(true);
    expect(has('GET', '/health', 'public')).toBe(true);
    expect(has('GET', '/docs/', 'public')).toBe(true);
  });

  it('has no route that is neither API-key, node-signature nor explicitly public', () => {
    const unmarked = routes.filter((route) => typeof route.authentication === 'string').map((route) => `${route.method} ${route.url}: ${route.authentication as string}`);
    expect(unmarked).toEqual([]);
  });

  it('answers every API-key route with 401 without a key and 403 with a key that lacks its scope', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      if (typeof route.authentication !== 'object' || route.authentication.by !== 'apiKey') continue;
      const needed = route.authentication.scopes;
      const request = { method: route.method as 'GET', url: urlOf(route.url), ...(['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: {} } : {}) };
      const anonymous = outcome(await api.app.inject(request));
      if (anonymous !== expected(route.method, 401, 'ACCORD_ERR_UNAUTHENTICATED')) wrong.push(`${route.method} ${route.url} without a key: ${anonymous}`);
      const other = scopes.find((scope) => scope !== 'admin' && !needed.includes(scope))!;
      const unscoped = outcome(await api.app.inject({ ...request, headers: bearer(await keyWith(other)) }));
      if (unscoped !== expected(route.method, 403, 'ACCORD_ERR_FORBIDDEN')) wrong.push(`${route.method} ${route.url} with only ${other}: ${unscoped}`);
    }
    expect(wrong).toEqual([]);
  });

  it('answers every node route with 401 to an unsigned request, reading none of its body', async () => {
    const wrong: string[] = [];
    for (const route of routes) {
      if (typeof route.authentication !== 'object' || route.authentication.by !== 'nodeSignature') continue;
      const body = countedUpload(1024 * 1024);
      const withBody = ['POST', 'PUT', 'PATCH'].includes(route.method) ? { payload: body.stream, headers: { 'content-type': 'application/octet-stream', 'content-length': String(1024 * 1024) } } : {};
      const unsigned = outcome(await api.app.inject({ method: route.method as 'GET', url: urlOf(route.url), ...withBody }));
      if (unsigned !== expected(route.method, 401, 'ACCORD_ERR_NODE_UNAUTHENTICATED')) wrong.push(`${route.method} ${route.url}: ${unsigned}`);
      if (body.pulled() >= 4 * UPLOAD_CHUNK) wrong.push(`${route.method} ${route.url} read ${body.pulled()} bytes`);
    }
    expect(wrong).toEqual([]);
  });
});
