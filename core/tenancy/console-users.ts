/**
 * People who sign in to the console of a tenant, each with one role. A role stands for the API
 * scopes the console may use on the user's behalf: a privacy officer works consent, privacy
 * requests and records; a marketer data, tags, segments, PSI and collaborations short of approving;
 * an admin everything. The password is made here, shown once, and kept only as a scrypt hash
 * (node:crypto, OpenSSL's), compared in constant time. Users are disabled, never deleted: the
 * audit trail keeps naming them.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { notFound, AccordError } from '../errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { Scope } from './scopes.ts';

export const consoleRoles = ['privacy_officer', 'marketer', 'admin'] as const;
export type ConsoleRole = (typeof consoleRoles)[number];

export const consoleRoleScopes: Readonly<Record<ConsoleRole, readonly Scope[]>> = {
  privacy_officer: ['consent:read', 'consent:write', 'privacy:admin', 'records:read', 'audit:read', 'collaborations:read', 'collaborations:approve', 'jobs:read'],
  marketer: ['data:read', 'data:write', 'tags:read', 'tags:write', 'segments:read', 'segments:write', 'psi:run', 'psi:read', 'collaborations:read', 'collaborations:write', 'jobs:read', 'consent:read', 'activation:read', 'activation:write', 'models:read', 'models:write', 'scores:write'],
  admin: ['admin'],
};

export interface ConsoleUser {
  id: string;
  email: string;
  displayName: string;
  role: ConsoleRole;
  createdAt: Date;
  disabledAt: Date | null;
}

/** OWASP's floor for scrypt: N=2^17, r=8, p=1 (128 MiB). */
const SCRYPT = { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 } as const;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashConsolePassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function consolePasswordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const columns = ['id', 'email', 'display_name', 'role', 'created_at', 'disabled_at'] as const;
const toUser = (row: { id: string; email: string; display_name: string; role: ConsoleRole; created_at: Date; disabled_at: Date | null }): ConsoleUser => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  role: row.role,
  createdAt: row.created_at,
  disabledAt: row.disabled_at,
});

/** A new user with a generated password, returned this once. */
export async function createConsoleUser(trx: TenantTransaction, input: { email: string; displayName: string; role: ConsoleRole }, actor: string): Promise<{ user: ConsoleUser; password: string }> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `"${email}" is not an e-mail address`);
  const taken = await trx.selectFrom('console_users').select('id').where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).executeTakeFirst();
  if (taken) throw new AccordError('ACCORD_ERR_CONFLICT', `a console user with the e-mail ${email} exists already`);
  const password = randomBytes(18).toString('base64url');
  const row = await trx
    .insertInto('console_users')
    .values({ tenant_id: trx.tenantId, email, display_name: input.displayName, role: input.role, password_hash: await hashConsolePassword(password), created_by: actor })
    .returning(columns)
    .executeTakeFirstOrThrow();
  return { user: toUser(row), password };
}

export async function listConsoleUsers(trx: TenantTransaction): Promise<ConsoleUser[]> {
  return (await trx.selectFrom('console_users').select(columns).orderBy('created_at').orderBy('id').execute()).map(toUser);
}

/** Disables the user; one disabled already stays as it was. */
export async function disableConsoleUser(trx: TenantTransaction, id: string): Promise<ConsoleUser> {
  await trx.updateTable('console_users').set({ disabled_at: new Date() }).where('id', '=', id).where('disabled_at', 'is', null).execute();
  const row = await trx.selectFrom('console_users').select(columns).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('console user');
  return toUser(row);
}
