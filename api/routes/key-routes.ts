/**
 * The caller's tenant's API keys, managed by its admins with the node running: the same core
 * functions as `accord keys`. A new key's token is in the answer to its creation only; the node keeps
 * its hash. A revoked key is refused by every process from the moment the revocation commits.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { notFound } from '../../core/errors.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../../core/tenancy/api-keys.ts';
import { scopes } from '../../core/tenancy/scopes.ts';
import { actorOf, principalOf } from '../plugins/auth.ts';

export const keyBody = z.object({ name: z.string().min(1).max(200), scopes: z.array(z.enum(scopes)).min(1).max(scopes.length) });
export const createdKeyView = z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), token: z.string().describe('shown this once; the node keeps only its hash') });
export const keyView = z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), createdAt: z.string(), revokedAt: z.string().nullable() });
export const keyIdParams = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'a key id: 16 lower-case hex digits') });

export const toKeyView = (key: Awaited<ReturnType<typeof listApiKeys>>[number]): z.output<typeof keyView> => ({
  id: key.id,
  name: key.name,
  scopes: key.scopes,
  createdAt: key.created_at.toISOString(),
  revokedAt: key.revoked_at?.toISOString() ?? null,
});

export const keyRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.post(
    '/v1/keys',
    { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "A new API key of the caller's tenant; its token is shown once", body: keyBody, response: { 201: createdKeyView } } },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const key = await createApiKey(db, { tenantId, ...request.body });
      await withTenant(db, tenantId, (trx) => recordAuditEvent(trx, { actor: actorOf(request), action: 'keys.created', targetType: 'api_key', targetId: key.id, details: { name: request.body.name, scopes: request.body.scopes } }));
      return reply.code(201).send({ id: key.id, name: request.body.name, scopes: request.body.scopes, token: key.token });
    },
  );

  app.get('/v1/keys', { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "The API keys of the caller's tenant, active and revoked (never their secrets)", response: { 200: z.object({ keys: z.array(keyView) }) } } }, async (request) => ({
    keys: (await listApiKeys(db, principalOf(request).tenantId)).map(toKeyView),
  }));

  app.delete(
    '/v1/keys/:id',
    { config: { scope: 'admin' }, schema: { tags: ['admin'], summary: "Revoke an API key of the caller's tenant; every process refuses it from then on", params: keyIdParams, response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }) } } },
    async (request) => {
      const { tenantId } = principalOf(request);
      if (!(await revokeApiKey(db, request.params.id, tenantId))) throw notFound('active API key');
      await withTenant(db, tenantId, (trx) => recordAuditEvent(trx, { actor: actorOf(request), action: 'keys.revoked', targetType: 'api_key', targetId: request.params.id, details: {} }));
      return { id: request.params.id, revoked: true as const };
    },
  );
};
