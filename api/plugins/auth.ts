/**
 * API-key authentication, and the rule that every route is authenticated one of three ways: by an
 * API key with a scope (`config.scope`), by a peer node's signature (`config.nodeAuth`, see
 * node-auth.ts), or not at all because the route says why it is public (`config.public`, the
 * reason). A route that declares none of them is not public: it takes an admin key. The key comes
 * as `Authorization: Bearer <key>` or `X-API-Key`; a console page may instead carry a session cookie
 * (console-session.ts), whose scopes are checked here just like a key's. Unknown, malformed and
 * revoked keys get the same answer. test/api/route-auth.test.ts lists every route and holds each to its declaration.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.ts';
import { withTenant, type TenantTransaction } from '../../core/db/tenant-scope.ts';
import { ApiKeyCache } from '../../core/tenancy/api-key-cache.ts';
import type { ApiKeyPrincipal } from '../../core/tenancy/api-keys.ts';
import { grants, type Scope } from '../../core/tenancy/scopes.ts';
import { ApiError } from '../errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope the route needs, or scopes of which any one will do. */
    scope?: Scope | readonly Scope[];
    /** Why anyone may call the route without a key or a node signature; the only way to make a route public. */
    public?: string;
  }
  interface FastifyRequest {
    principal?: ApiKeyPrincipal;
  }
}

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  // Auth schemes are case-insensitive (RFC 9110).
  if (header && /^bearer /i.test(header)) return header.slice('bearer '.length).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/** The key id the caller claims, read without checking the key: for rate-limit buckets only. */
export function presentedKeyId(request: FastifyRequest): string | undefined {
  return /^accord_([0-9a-f]{16})_/.exec(presentedKey(request) ?? '')?.[1];
}

export const auth = fp(async (app: FastifyInstance, { db }: { db: Kysely<Database> }) => {
  const keys = new ApiKeyCache(db);
  app.addHook('onRequest', async (request) => {
    const { scope, nodeAuth, public: publicBecause } = request.routeOptions.config;
    if (publicBecause || nodeAuth || request.is404) return;
    const needed = scope ?? 'admin';
    const key = presentedKey(request);
    const session = key ? undefined : request.consoleSession?.principal;
    if (!key && !session) throw new ApiError('ACCORD_ERR_UNAUTHENTICATED', 'send an API key as "Authorization: Bearer <key>"');
    const principal = session ?? (await keys.authenticate(key!));
    if (!principal) throw new ApiError('ACCORD_ERR_UNAUTHENTICATED', 'the API key is not valid');
    const acceptable: readonly Scope[] = typeof needed === 'string' ? [needed] : needed;
    if (!acceptable.some((scope) => grants(principal.scopes, scope))) throw new ApiError('ACCORD_ERR_FORBIDDEN', `this endpoint needs the scope ${acceptable.join(' or ')}`);
    request.principal = principal;
  });
});

/** Marks every route registered in `instance` from now on as public, for plugins (the docs page) whose routes take no config of ours. */
export function markRoutesPublic(instance: FastifyInstance, reason: string): void {
  instance.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: reason };
  });
}

/** The authenticated caller; only for routes that declare a scope. */
export function principalOf(request: FastifyRequest): ApiKeyPrincipal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} has no scope but needs a principal`);
  return request.principal;
}

export const actorOf = (request: FastifyRequest) => request.consoleSession?.actor ?? `apikey:${principalOf(request).keyId}`;

/** Runs work in the caller's tenant, where row-level security hides every other tenant. */
export function inCallerTenant<T>(db: Kysely<Database>, request: FastifyRequest, work: (trx: TenantTransaction) => Promise<T>): Promise<T> {
  return withTenant(db, principalOf(request).tenantId, work);
}
