/**
 * Console pages authenticate with a session cookie instead of an API key. This hook, registered
 * before auth.ts, reads the cookie on requests that present no key and hands the session to auth,
 * which checks its scopes like a key's. A state-changing request must also carry the session's CSRF
 * token in `X-CSRF-Token`; the cookie alone (which a browser attaches by itself) never changes
 * anything. Requests with an API key ignore the cookie: a key is never sent by a browser on its own.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import type { Database } from '../../core/db/schema.ts';
import { csrfTokenMatches, readConsoleSession, type ConsoleSession } from '../../core/tenancy/console-sessions.ts';
import { ApiError } from '../errors.ts';
import { presentedKey } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

export const SESSION_COOKIE = 'accord_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session cookie's value, if the request carries one. */
export function sessionCookieOf(request: FastifyRequest): string | undefined {
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

export const consoleSession = fp(async (app: FastifyInstance, { db }: { db: Kysely<Database> }) => {
  app.addHook('onRequest', async (request) => {
    const { nodeAuth, public: publicBecause } = request.routeOptions.config;
    if (publicBecause || nodeAuth || request.is404 || presentedKey(request)) return;
    const cookie = sessionCookieOf(request);
    const session = cookie ? await readConsoleSession(db, cookie) : undefined;
    if (!session) return;
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers['x-csrf-token'];
      if (!csrfTokenMatches(session, typeof presented === 'string' ? presented : undefined)) {
        throw new ApiError('ACCORD_ERR_CSRF', 'send the session\'s CSRF token (from GET /v1/console/session) as X-CSRF-Token');
      }
    }
    request.consoleSession = session;
  });
});
