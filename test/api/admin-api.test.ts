/**
 * Keys, console users and workspaces over the API with the node running (issue 14): an admin
 * manages its own workspace's keys and users; only the operator (an admin of the default
 * workspace) manages workspaces. Secrets are in the creating answer only.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { consolePasswordMatches } from '../../core/tenancy/console-users.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

describe.each(storageBackends)('admin API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let operator: string;
  let operatorTenant: string;

  const call = (token: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload: payload as object }) });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const key = await api.keyFor('default', ['admin']);
    operator = key.token;
    operatorTenant = key.tenantId;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('creates a key shown once, lists keys without secrets, and a revoked key is refused at once', async () => {
    const created = await call(operator, 'POST', '/v1/keys', { name: 'reporting', scopes: ['records:read'] });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json();
    expect(token).toMatch(new RegExp(`^accord_${id}_`));
    expect((await call(token, 'GET', '/v1/processing-records')).statusCode).toBe(200);

    const listed = (await call(operator, 'GET', '/v1/keys')).json().keys;
    expect(listed).toContainEqual(expect.objectContaining({ id, name: 'reporting', scopes: ['records:read'], revokedAt: null }));
    expect(JSON.stringify(listed)).not.toContain(token.slice(-20));

    expect((await call(operator, 'DELETE', `/v1/keys/${id}`)).json()).toEqual({ id, revoked: true });
    expect((await call(token, 'GET', '/v1/processing-records')).json().code).toBe('ACCORD_ERR_UNAUTHENTICATED');
    expect((await call(operator, 'DELETE', `/v1/keys/${id}`)).json().code).toBe('ACCORD_ERR_NOT_FOUND');
  });

  it('refuses unknown scopes and malformed key ids, changing nothing', async () => {
    const before = (await call(operator, 'GET', '/v1/keys')).json().keys.length;
    const unknown = await call(operator, 'POST', '/v1/keys', { name: 'x', scopes: ['everything'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toMatch(/^body\.scopes\.0/);
    expect((await call(operator, 'DELETE', '/v1/keys/not-a-key')).json().code).toBe('ACCORD_ERR_VALIDATION');
    expect((await call(operator, 'GET', '/v1/keys')).json().keys.length).toBe(before);
  });

  it('lets the operator create a workspace and its first admin key, whose admin manages only its own', async () => {
    const created = await call(operator, 'POST', '/v1/tenants', { slug: 'acme', name: 'Acme', regime: 'ccpa' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ slug: 'acme', name: 'Acme' });
    expect((await call(operator, 'POST', '/v1/tenants', { slug: 'acme' })).json().code).toBe('ACCORD_ERR_CONFLICT');
    expect((await call(operator, 'POST', '/v1/tenants', { slug: 'Not A Slug' })).json().code).toBe('ACCORD_ERR_VALIDATION');
    expect((await call(operator, 'GET', '/v1/tenants')).json().tenants.map((tenant: { slug: string }) => tenant.slug)).toEqual(['acme', 'default']);
    const regime = await withTenant(t.db, created.json().id, (trx) => trx.selectFrom('tenant_settings').select('first_party_regime').executeTakeFirst());
    expect(regime?.first_party_regime).toBe('ccpa');

    const first = await call(operator, 'POST', '/v1/tenants/acme/keys', { name: 'acme admin', scopes: ['admin'] });
    expect(first.statusCode).toBe(201);
    const acmeAdmin = first.json().token as string;
    expect((await call(operator, 'GET', '/v1/tenants/acme/keys')).json().keys).toEqual([expect.objectContaining({ id: first.json().id, scopes: ['admin'] })]);
    expect((await call(operator, 'POST', '/v1/tenants/nobody/keys', { name: 'x', scopes: ['admin'] })).json().code).toBe('ACCORD_ERR_NOT_FOUND');

    // Acme's admin: its own keys yes, workspaces and the operator's keys no.
    const own = await call(acmeAdmin, 'POST', '/v1/keys', { name: 'acme data', scopes: ['data:write'] });
    expect(own.statusCode).toBe(201);
    expect((await call(acmeAdmin, 'GET', '/v1/keys')).json().keys.map((key: { id: string }) => key.id)).toEqual([first.json().id, own.json().id]);
    expect((await call(acmeAdmin, 'GET', '/v1/tenants')).json().code).toBe('ACCORD_ERR_FORBIDDEN');
    expect((await call(acmeAdmin, 'POST', '/v1/tenants', { slug: 'evil' })).json().code).toBe('ACCORD_ERR_FORBIDDEN');
    expect((await call(acmeAdmin, 'POST', '/v1/tenants/default/keys', { name: 'x', scopes: ['admin'] })).json().code).toBe('ACCORD_ERR_FORBIDDEN');
    const operatorKeyId = operator.split('_')[1]!;
    expect((await call(acmeAdmin, 'DELETE', `/v1/keys/${operatorKeyId}`)).json().code).toBe('ACCORD_ERR_NOT_FOUND');
    expect((await call(operator, 'GET', '/v1/keys')).statusCode).toBe(200);

    expect((await call(operator, 'DELETE', `/v1/tenants/acme/keys/${own.json().id}`)).json()).toEqual({ id: own.json().id, revoked: true });
    expect((await call(own.json().token, 'GET', '/v1/ingest/runs/00000000-0000-0000-0000-000000000000')).json().code).toBe('ACCORD_ERR_UNAUTHENTICATED');
    const audited = await withTenant(t.db, operatorTenant, (trx) => trx.selectFrom('audit_events').select('action').where('action', 'like', 'tenants.%').execute());
    expect(audited.map((row) => row.action)).toEqual(['tenants.created', 'tenants.keys.created', 'tenants.keys.revoked']);
  });

  it('creates console users with a role and a password shown once, kept as a hash; disables them', async () => {
    const created = await call(operator, 'POST', '/v1/console-users', { email: 'Officer@Example.com', displayName: 'Li Wei', role: 'privacy_officer' });
    expect(created.statusCode).toBe(201);
    const { user, password } = created.json();
    expect(user).toMatchObject({ email: 'Officer@Example.com', role: 'privacy_officer', disabledAt: null });
    expect(user.scopes).toContain('privacy:admin');
    expect(user.scopes).not.toContain('segments:write');
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const stored = await withTenant(t.db, operatorTenant, (trx) => trx.selectFrom('console_users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow());
    expect(stored.password_hash).not.toContain(password);
    expect(await consolePasswordMatches(password, stored.password_hash)).toBe(true);
    expect(await consolePasswordMatches(`${password}x`, stored.password_hash)).toBe(false);

    expect((await call(operator, 'POST', '/v1/console-users', { email: 'officer@example.com', displayName: 'Again', role: 'marketer' })).json().code).toBe('ACCORD_ERR_CONFLICT');
    expect((await call(operator, 'POST', '/v1/console-users', { email: 'no at sign', displayName: 'X', role: 'marketer' })).json().code).toBe('ACCORD_ERR_INVALID_INPUT');
    expect((await call(operator, 'POST', '/v1/console-users', { email: 'x@example.com', displayName: 'X', role: 'owner' })).json().code).toBe('ACCORD_ERR_VALIDATION');

    const listed = (await call(operator, 'GET', '/v1/console-users')).json().users;
    expect(listed).toEqual([expect.objectContaining({ id: user.id })]);
    expect(JSON.stringify(listed)).not.toContain(password);

    // Another workspace's admin neither sees nor disables the user.
    const other = (await api.keyFor('other', ['admin'])).token;
    expect((await call(other, 'GET', '/v1/console-users')).json().users).toEqual([]);
    expect((await call(other, 'DELETE', `/v1/console-users/${user.id}`)).json().code).toBe('ACCORD_ERR_NOT_FOUND');

    const disabled = await call(operator, 'DELETE', `/v1/console-users/${user.id}`);
    expect(disabled.json().disabledAt).not.toBeNull();
    const count = await sql<{ n: string }>`select count(*) as n from console_users`.execute(t.db);
    expect(Number(count.rows[0]!.n)).toBe(1);
  });
});
