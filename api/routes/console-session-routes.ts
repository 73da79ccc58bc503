/**
 * Console sign-in: an API key is exchanged for a session cookie (HttpOnly, SameSite=Strict) and
 * a CSRF token, as the role asked for (or the broadest the key allows). The session's scopes are
 * the role's scopes that the key also holds, so signing in never widens what a key may do. The key
 * is sent once, in the body, and never stored by the page.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { authenticateApiKey } from '../../core/tenancy/api-keys.ts';
import { consoleRoles, defaultRole, sessionScopes } from '../../core/tenancy/console-roles.ts';
import { csrfTokenMatches, endConsoleSession, openConsoleSession, readConsoleSession, SESSION_TTL_SECONDS } from '../../core/tenancy/console-sessions.ts';
import { ApiError } from '../errors.ts';
import { SESSION_COOKIE, sessionCookieOf } from '../plugins/console-session.ts';

const sessionView = z.object({ role: z.enum(consoleRoles), scopes: z.array(z.string()), csrfToken: z.string(), expiresAt: z.string() });
const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/** Secure unless the page is plain http on this machine (a browser would drop a Secure cookie there). */
function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  const secure = request.protocol === 'https' || !LOOPBACK.test(request.headers.host ?? '');
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

async function sessionOf(db: Kysely<Database>, request: FastifyRequest) {
  const token = sessionCookieOf(request);
  const session = token ? await readConsoleSession(db, token) : undefined;
  if (!token || !session) throw new ApiError('ACCORD_ERR_UNAUTHENTICATED', 'no console session: sign in at POST /v1/console/session');
  return { token, session };
}

export const consoleSessionRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database> }> = async (app, { db }) => {
  app.post(
    '/v1/console/session',
    {
      config: { public: 'signs in: the API key in the body is the credential, checked by the handler' },
      schema: {
        tags: ['console'],
        summary: 'Sign in to the console with an API key; sets an HttpOnly session cookie and returns the CSRF token',
        body: z.strictObject({ apiKey: z.string().min(1).max(200), role: z.enum(consoleRoles).optional() }),
        response: { 201: sessionView },
      },
    },
    async (request, reply) => {
      const principal = await authenticateApiKey(db, request.body.apiKey);
      if (!principal) throw new ApiError('ACCORD_ERR_UNAUTHENTICATED', 'the API key is not valid');
      const role = request.body.role ?? defaultRole(principal.scopes);
      const scopes = role ? sessionScopes(role, principal.scopes) : [];
      if (!role || scopes.length === 0) throw new ApiError('ACCORD_ERR_FORBIDDEN', `this key holds none of the scopes of ${role ?? 'any console role'}`);
      const actor = `apikey:${principal.keyId}`;
      const opened = await openConsoleSession(db, { tenantId: principal.tenantId, role, scopes, actor, apiKeyId: principal.keyId });
      await withTenant(db, principal.tenantId, (trx) => recordAuditEvent(trx, { actor, action: 'console.session.opened', targetType: 'console_session', details: { role } }));
      return reply
        .code(201)
        .header('set-cookie', cookie(request, opened.token, SESSION_TTL_SECONDS))
        .header('cache-control', 'no-store')
        .send({ role, scopes, csrfToken: opened.csrfToken, expiresAt: opened.expiresAt.toISOString() });
    },
  );

  app.get(
    '/v1/console/session',
    {
      config: { public: 'reads the caller\'s own session cookie, checked by the handler' },
      schema: { tags: ['console'], summary: 'The signed-in console session: role, scopes and CSRF token', response: { 200: sessionView } },
    },
    async (request, reply) => {
      const { session } = await sessionOf(db, request);
      reply.header('cache-control', 'no-store');
      return { role: session.role, scopes: session.principal.scopes, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
    },
  );

  app.delete(
    '/v1/console/session',
    {
      config: { public: 'ends the caller\'s own session cookie, checked (with its CSRF token) by the handler' },
      schema: { tags: ['console'], summary: 'Sign out: ends the session and clears the cookie', response: { 204: z.null() } },
    },
    async (request, reply) => {
      const { token, session } = await sessionOf(db, request);
      const presented = request.headers['x-csrf-token'];
      if (!csrfTokenMatches(session, typeof presented === 'string' ? presented : undefined)) throw new ApiError('ACCORD_ERR_CSRF', 'send the session\'s CSRF token as X-CSRF-Token');
      await endConsoleSession(db, token);
      return reply.code(204).header('set-cookie', cookie(request, '', 0)).send(null);
    },
  );
};
