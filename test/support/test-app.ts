/** The HTTP app over a test database, with helpers to make tenants and keys. */
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../api/app.ts';
import { createMetrics } from '../../api/plugins/metrics.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../core/identity/node-identity.ts';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import type { Scope } from '../../core/tenancy/scopes.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import type { TestDatabase } from './test-database.ts';

export interface TestApp {
  app: FastifyInstance;
  identity: NodeIdentity;
  /** A new key for the tenant with this slug (created if needed). */
  keyFor(slug: string, scopes: Scope[]): Promise<{ id: string; token: string; tenantId: string }>;
}

export const TEST_APP_MASTER_KEY = new Uint8Array(32).fill(3);

/** `extraRoutes` adds test-only routes before the app is ready. */
export async function startTestApp(t: TestDatabase, overrides: Partial<AppDeps> = {}, extraRoutes?: (app: FastifyInstance) => void): Promise<TestApp> {
  const masterKey = TEST_APP_MASTER_KEY;
  const identity = await loadOrCreateNodeIdentity(t.db, masterKey, 'Test brand');
  const app = await buildApp({
    db: t.db,
    identity,
    masterKey,
    metrics: createMetrics(),
    readinessChecks: { database: t.handle.ping },
    bodyLimitBytes: 1_048_576,
    rateLimitPerMinute: 10_000,
    logLevel: 'silent',
    ...overrides,
    gate: overrides.gate ?? new ConsentGate(),
  });
  extraRoutes?.(app);
  await app.ready();
  return {
    app,
    identity,
    async keyFor(slug, scopes) {
      const tenant = await ensureTenant(t.db, slug);
      return { ...(await createApiKey(t.db, { tenantId: tenant.id, name: 'test', scopes })), tenantId: tenant.id };
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
