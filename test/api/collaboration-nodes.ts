/**
 * Nodes for collaboration tests: each its own database and identity, its app listening on a real
 * loopback port, a tenant with an admin key, and a consent catalogue covering `audience.matching`
 * for the recipient `ocean-engine`.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../api/app.ts';
import { createMetrics } from '../../api/plugins/metrics.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../../core/identity/node-identity.ts';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { openTestDatabase, type StorageBackend, type TestDatabase } from '../support/test-database.ts';

export const PURPOSE = 'audience.matching';
export const RECIPIENT = 'ocean-engine';

export interface CollaborationNode {
  readonly name: string;
  readonly t: TestDatabase;
  readonly app: FastifyInstance;
  readonly identity: NodeIdentity;
  /** The node's one consent gate, for its job runner too. */
  readonly gate: ConsentGate;
  readonly url: string;
  readonly tenantId: string;
  readonly token: string;
  call(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<{ status: number; body: Awaited<ReturnType<Response['json']>> }>;
  close(): Promise<void>;
}

/** The node's app, with any test-only routes. */
async function buildCollaborationApp(t: TestDatabase, identity: NodeIdentity, gate: ConsentGate, extraRoutes?: (app: FastifyInstance) => void, overrides: Partial<AppDeps> = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    db: t.db,
    identity,
    masterKey: new Uint8Array(32).fill(3),
    metrics: createMetrics(),
    readinessChecks: {},
    bodyLimitBytes: 1_048_576,
    rateLimitPerMinute: 100_000,
    logLevel: 'silent',
    gate,
    ...overrides,
  });
  extraRoutes?.(app);
  return app;
}

export async function defineMatchingConsent(t: TestDatabase, tenantId: string, recipients: string[] = [RECIPIENT]): Promise<void> {
  await withTenant(t.db, tenantId, async (trx) => {
    await definePurpose(trx, { key: PURPOSE, name: 'Audience matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
    await publishNotice(trx, { noticeKey: 'matching', language: 'zh-CN', content: '匹配通知', purposes: [PURPOSE], recipients, dataCategories: ['identifiers'] });
  });
}

/** `extraRoutes` adds test-only routes before the app starts listening; `overrides` replaces app dependencies. */
export async function startCollaborationNode(backend: StorageBackend, name: string, extraRoutes?: (app: FastifyInstance) => void, overrides: Partial<AppDeps> = {}): Promise<CollaborationNode> {
  const t = await openTestDatabase(backend);
  const identity = await loadOrCreateNodeIdentity(t.db, new Uint8Array(32).fill(3), name);
  const gate = new ConsentGate();
  const app = await buildCollaborationApp(t, identity, gate, extraRoutes, overrides);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const tenant = await ensureTenant(t.db, 'party');
  const { token } = await createApiKey(t.db, { tenantId: tenant.id, name: 'admin', scopes: ['admin'] });
  return {
    name,
    t,
    app,
    identity,
    gate,
    url,
    tenantId: tenant.id,
    token,
    async call(method, path, body, as = token) {
      const response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    },
    async close() {
      await app.close();
      await t.dispose();
    },
  };
}

/** Each node pins the other as a peer; returns the peer ids each node gave the other. */
export async function introduce(a: CollaborationNode, b: CollaborationNode): Promise<{ bOnA: string; aOnB: string }> {
  const pin = async (self: CollaborationNode, other: CollaborationNode) => {
    const response = await self.call('POST', '/v1/peers', { nodeId: other.identity.nodeId, name: other.name, baseUrl: other.url, publicKey: Buffer.from(other.identity.publicKey).toString('base64') });
    if (response.status !== 201) throw new Error(`pinning failed: ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  };
  return { bOnA: await pin(a, b), aOnB: await pin(b, a) };
}
