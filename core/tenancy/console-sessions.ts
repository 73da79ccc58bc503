/**
 * Console sessions: `<id>.<secret>` in an HttpOnly cookie. The CSRF token the page sends back in a
 * header on every state-changing request is an HMAC of the session secret, so it is bound to the
 * session, needs no storage, and a page on another site can neither read nor forge it. Only a
 * SHA-256 of the 256-bit secret is stored (no slow hash needed), compared in constant time. A
 * session ends at its expiry, at logout, or when the API key that opened it is revoked; an unknown,
 * ended or expired session reads the same as a forged one.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ApiKeyPrincipal } from './api-keys.ts';
import type { ConsoleRole } from './console-roles.ts';

export const SESSION_TTL_SECONDS = 8 * 3600;
const TOKEN = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest();
const csrfTokenOf = (secret: string) => createHmac('sha256', secret).update('accord console csrf').digest('base64url');

export interface ConsoleSession {
  readonly principal: ApiKeyPrincipal;
  readonly role: ConsoleRole;
  readonly actor: string;
  readonly expiresAt: Date;
  readonly csrfToken: string;
}

export async function openConsoleSession(
  db: Kysely<Database>,
  input: { tenantId: string; role: ConsoleRole; scopes: readonly string[]; actor: string; apiKeyId: string },
  now = new Date(),
): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const id = randomBytes(16).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_SECONDS * 1000);
  await db
    .insertInto('console_sessions')
    .values({ id, tenant_id: input.tenantId, secret_hash: sha256(secret), role: input.role, scopes: [...input.scopes], actor: input.actor, api_key_id: input.apiKeyId, expires_at: expiresAt })
    .execute();
  return { token: `${id}.${secret}`, csrfToken: csrfTokenOf(secret), expiresAt };
}

/** The live session a cookie value names, or undefined for anything else. */
export async function readConsoleSession(db: Kysely<Database>, token: string, now = new Date()): Promise<ConsoleSession | undefined> {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const row = await db
    .selectFrom('console_sessions as s')
    .leftJoin('api_keys as k', 'k.id', 's.api_key_id')
    .select(['s.id', 's.tenant_id', 's.secret_hash', 's.role', 's.scopes', 's.actor', 's.expires_at', 's.ended_at', 's.api_key_id', 'k.revoked_at as key_revoked_at'])
    .where('s.id', '=', match[1]!)
    .executeTakeFirst();
  if (!row || row.ended_at !== null || row.expires_at.getTime() <= now.getTime()) return undefined;
  if (row.api_key_id !== null && row.key_revoked_at !== null) return undefined;
  if (!timingSafeEqual(Buffer.from(row.secret_hash), sha256(match[2]!))) return undefined;
  return {
    principal: { keyId: `session:${row.id}`, tenantId: row.tenant_id, scopes: row.scopes },
    role: row.role,
    actor: row.actor,
    expiresAt: row.expires_at,
    csrfToken: csrfTokenOf(match[2]!),
  };
}

export function csrfTokenMatches(session: ConsoleSession, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export async function endConsoleSession(db: Kysely<Database>, token: string, now = new Date()): Promise<void> {
  const id = TOKEN.exec(token)?.[1];
  if (id) await db.updateTable('console_sessions').set({ ended_at: now }).where('id', '=', id).where('ended_at', 'is', null).execute();
}
