/**
 * API keys: `accord_<id>_<secret>`. Only a SHA-256 of the 256-bit random secret is stored (a slow
 * hash adds nothing for a secret this long), compared in constant time; the key is shown once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AccordError } from '../errors.ts';
import type { Database } from '../db/schema.ts';
import { isScope, type Scope } from './scopes.ts';

export interface ApiKeyPrincipal {
  keyId: string;
  tenantId: string;
  scopes: string[];
}

const TOKEN = /^accord_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();

export async function createApiKey(
  db: Kysely<Database>,
  input: { tenantId: string; name: string; scopes: string[] },
): Promise<{ id: string; token: string }> {
  const unknown = input.scopes.filter((scope) => !isScope(scope));
  if (input.scopes.length === 0 || unknown.length > 0) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `unknown or missing scopes: ${unknown.join(', ') || '(none given)'}`);
  }
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  await db
    .insertInto('api_keys')
    .values({ id, tenant_id: input.tenantId, name: input.name, scopes: input.scopes as Scope[], secret_hash: hashSecret(secret) })
    .execute();
  return { id, token: `accord_${id}_${secret}` };
}

/** The key's principal, or undefined for a malformed, unknown or revoked key (callers say the same for all). */
export async function authenticateApiKey(db: Kysely<Database>, token: string): Promise<ApiKeyPrincipal | undefined> {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const [, id, secret] = match as unknown as [string, string, string];
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'tenant_id', 'scopes', 'secret_hash', 'revoked_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  if (!timingSafeEqual(Buffer.from(row.secret_hash), hashSecret(secret))) return undefined;
  return { keyId: row.id, tenantId: row.tenant_id, scopes: row.scopes };
}

export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function listApiKeys(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes', 'created_at', 'revoked_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .execute();
}
