/**
 * Workspaces (tenants) of this node, managed by the operator: an admin key of the node's default
 * workspace. An admin of any other workspace manages only its own keys and users (key-routes.ts),
 * so no tenant's admin can reach into another. The same core functions as `accord tenants`; the
 * first admin key of a new workspace is made here, shown once.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { regimes } from '../../consent/consent-event.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { AccordError, notFound } from '../../core/errors.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../../core/tenancy/api-keys.ts';
import { setFirstPartyRegime } from '../../core/tenancy/first-party-regime.ts';
import { DEFAULT_TENANT, ensureTenant, findTenant, listTenants, type Tenant } from '../../core/tenancy/tenants.ts';
import { ApiError } from '../errors.ts';
import { actorOf, principalOf } from '../plugins/auth.ts';
import { createdKeyView, keyBody, keyIdParams, keyView, toKeyView } from './key-routes.ts';

const tenantView = z.object({ id: z.uuid(), slug: z.string(), name: z.string() });
const slugParams = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes (1-63)') });

export const tenantRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  /** The operator's tenant id, after checking that the caller is the operator. */
  async function requireOperator(request: FastifyRequest): Promise<string> {
    const operator = await findTenant(db, DEFAULT_TENANT);
    if (!operator || principalOf(request).tenantId !== operator.id) {
      throw new ApiError('ACCORD_ERR_FORBIDDEN', `managing workspaces needs an admin key of the node's "${DEFAULT_TENANT}" workspace`);
    }
    return operator.id;
  }
  const audit = (operatorId: string, request: FastifyRequest, action: string, targetId: string, details: Record<string, unknown>) =>
    withTenant(db, operatorId, (trx) => recordAuditEvent(trx, { actor: actorOf(request), action, targetType: 'tenant', targetId, details }));
  async function tenantNamed(slug: string): Promise<Tenant> {
    const tenant = await findTenant(db, slug);
    if (!tenant) throw notFound(`workspace ${slug}`);
    return tenant;
  }

  app.get('/v1/tenants', { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "The node's workspaces (operator only)", response: { 200: z.object({ tenants: z.array(tenantView) }) } } }, async (request) => {
    await requireOperator(request);
    return { tenants: await listTenants(db) };
  });

  app.post(
    '/v1/tenants',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['admin'],
        summary: "A new workspace, with the regime its own profiling runs under (pipl unless set); operator only",
        body: z.object({ slug: slugParams.shape.slug, name: z.string().min(1).max(200).optional(), regime: z.enum(regimes).optional() }),
        response: { 201: tenantView },
      },
    },
    async (request, reply) => {
      const operatorId = await requireOperator(request);
      const { slug, name, regime } = request.body;
      if (await findTenant(db, slug)) throw new AccordError('ACCORD_ERR_CONFLICT', `a workspace ${slug} exists already`);
      const tenant = await ensureTenant(db, slug, name ?? slug);
      if (regime) await setFirstPartyRegime(db, tenant.id, regime, actorOf(request));
      await audit(operatorId, request, 'tenants.created', tenant.id, { slug, regime: regime ?? null });
      return reply.code(201).send(tenant);
    },
  );

  app.post(
    '/v1/tenants/:slug/keys',
    { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "A new API key of a workspace (its first admin key, say); shown once; operator only", params: slugParams, body: keyBody, response: { 201: createdKeyView } } },
    async (request, reply) => {
      const operatorId = await requireOperator(request);
      const tenant = await tenantNamed(request.params.slug);
      const key = await createApiKey(db, { tenantId: tenant.id, ...request.body });
      await audit(operatorId, request, 'tenants.keys.created', tenant.id, { keyId: key.id, scopes: request.body.scopes });
      return reply.code(201).send({ id: key.id, name: request.body.name, scopes: request.body.scopes, token: key.token });
    },
  );

  app.get(
    '/v1/tenants/:slug/keys',
    { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "A workspace's API keys (never their secrets); operator only", params: slugParams, response: { 200: z.object({ keys: z.array(keyView) }) } } },
    async (request) => {
      await requireOperator(request);
      return { keys: (await listApiKeys(db, (await tenantNamed(request.params.slug)).id)).map(toKeyView) };
    },
  );

  app.delete(
    '/v1/tenants/:slug/keys/:id',
    { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "Revoke an API key of a workspace; operator only", params: slugParams.extend(keyIdParams.shape), response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }) } } },
    async (request) => {
      const operatorId = await requireOperator(request);
      const tenant = await tenantNamed(request.params.slug);
      if (!(await revokeApiKey(db, request.params.id, tenant.id))) throw notFound('active API key');
      await audit(operatorId, request, 'tenants.keys.revoked', tenant.id, { keyId: request.params.id });
      return { id: request.params.id, revoked: true as const };
    },
  );
};
