/**
 * API keys: `accord_<id>_<secret>`. Only a SHA-256 of the 256-bit random secret is stored (a slow
 * hash adds nothing for a secret this long), compared in constant time; the key is shown once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AccordError } from '../errors.ts';
import { changeFeedOf, notifyOnCommit } from '../db/change-feed.ts';
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

/** A live key as stored: enough to check a presented secret without another lookup. */
export interface StoredApiKey extends ApiKeyPrincipal {
  secretHash: Uint8Array;
}

/** The id and secret of a well-formed token. */
export function parseApiKey(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** The key with this id, unless it is unknown or revoked. */
export async function loadApiKey(db: Kysely<Database>, id: string): Promise<StoredApiKey | undefined> {
  const row = await db.selectFrom('api_keys').select(['id', 'tenant_id', 'scopes', 'secret_hash', 'revoked_at']).where('id', '=', id).executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  return { keyId: row.id, tenantId: row.tenant_id, scopes: row.scopes, secretHash: row.secret_hash };
}

/** The key's principal when the secret matches, compared in constant time. */
export function principalIfSecretMatches(key: StoredApiKey, secret: string): ApiKeyPrincipal | undefined {
  if (!timingSafeEqual(Buffer.from(key.secretHash), hashSecret(secret))) return undefined;
  return { keyId: key.keyId, tenantId: key.tenantId, scopes: key.scopes };
}

/** The key's principal, or undefined for a malformed, unknown or revoked key (callers say the same for all). */
export async function authenticateApiKey(db: Kysely<Database>, token: string): Promise<ApiKeyPrincipal | undefined> {
  const parsed = parseApiKey(token);
  const key = parsed && (await loadApiKey(db, parsed.id));
  return key && principalIfSecretMatches(key, parsed.secret);
}

/**
 * Revokes a key (of that tenant only, when one is given); every process's key cache forgets it when
 * the revocation commits.
 */
export async function revokeApiKey(db: Kysely<Database>, id: string, tenantId?: string): Promise<boolean> {
  const feed = changeFeedOf(db);
  const revoked = await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .$if(tenantId !== undefined, (query) => query.where('tenant_id', '=', tenantId!))
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) await notifyOnCommit(trx, feed, 'accord_api_keys', id);
    return result.numUpdatedRows > 0n;
  });
  if (revoked) feed.deliver('accord_api_keys', id);
  return revoked;
}

export async function listApiKeys(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes', 'created_at', 'revoked_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .execute();
}
