/**
 * Console sessions and pages over HTTP, without a browser: the cookie's attributes, CSRF on every
 * state-changing call, a session never wider than the key that opened it, cookies from another
 * node, a tenant's session seeing only its tenant, and the static pages' headers.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../core/tenancy/api-keys.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

describe.each(storageBackends)('console sessions on %s', (backend) => {
  let t: TestDatabase;
  let other: TestDatabase;
  let api: TestApp;
  let otherNode: TestApp;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'accord-console-pages-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(root, 'preferences.html'), '<!doctype html><title>preferences</title>');
    await writeFile(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
    t = await openTestDatabase(backend);
    other = await openTestDatabase(backend);
    api = await startTestApp(t, { consoleRoot: root });
    otherNode = await startTestApp(other, { consoleRoot: root });
  });
  afterAll(async () => {
    await api.app.close();
    await otherNode.app.close();
    await t.dispose();
    await other.dispose();
    await rm(root, { recursive: true, force: true });
  });

  const signIn = async (on: TestApp, apiKey: string, role?: string) => {
    const response = await on.app.inject({ method: 'POST', url: '/v1/console/session', headers: { host: '127.0.0.1:3000' }, payload: { apiKey, ...(role ? { role } : {}) } });
    const cookie = String(response.headers['set-cookie'] ?? '');
    return { response, cookie, session: cookie.split(';')[0]!, body: response.json() };
  };

  it('sets an HttpOnly, SameSite=Strict cookie (Secure unless plain http on loopback) and keeps the key out of it', async () => {
    const key = await api.keyFor('brand', ['privacy:admin', 'consent:read']);
    const opened = await signIn(api, key.token);
    expect(opened.response.statusCode).toBe(201);
    expect(opened.cookie).toMatch(/^accord_session=[0-9a-f]{32}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    expect(opened.cookie).not.toContain(key.token);
    expect(opened.body).toMatchObject({ role: 'privacy_officer', scopes: ['consent:read', 'privacy:admin'] });
    const remote = await api.app.inject({ method: 'POST', url: '/v1/console/session', headers: { host: 'console.brand.example' }, payload: { apiKey: key.token } });
    expect(String(remote.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('refuses unknown keys, and roles the key holds nothing of', async () => {
    expect((await signIn(api, 'accord_0123456789abcdef_' + 'x'.repeat(43))).response.statusCode).toBe(401);
    const reader = await api.keyFor('brand', ['segments:read']);
    const refused = await signIn(api, reader.token, 'privacy_officer');
    expect(refused.response.statusCode).toBe(403);
    expect(refused.cookie).toBe('');
  });

  it('takes a CSRF token on every state-changing call, never from the cookie alone', async () => {
    const key = await api.keyFor('brand', ['admin']);
    const { session, body } = await signIn(api, key.token, 'privacy_officer');
    const create = (headers: Record<string, string>) =>
      api.app.inject({ method: 'POST', url: '/v1/privacy-requests', headers: { cookie: session, ...headers }, payload: { kind: 'access', regime: 'pipl', subject: 'm-1' } });
    expect((await create({})).json()).toMatchObject({ status: 403, code: 'ACCORD_ERR_CSRF' });
    expect((await create({ 'x-csrf-token': body.csrfToken.slice(1) })).json().code).toBe('ACCORD_ERR_CSRF');
    expect((await create({ 'x-csrf-token': body.csrfToken })).statusCode).toBe(201);
    expect((await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } })).statusCode).toBe(200);
    // A sign-out is a change too.
    expect((await api.app.inject({ method: 'DELETE', url: '/v1/console/session', headers: { cookie: session } })).json().code).toBe('ACCORD_ERR_CSRF');
    const out = await api.app.inject({ method: 'DELETE', url: '/v1/console/session', headers: { cookie: session, 'x-csrf-token': body.csrfToken } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect((await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } })).statusCode).toBe(401);
  });

  it('gives a session only the role\'s scopes the key holds, and records who acted as the key', async () => {
    const admin = await api.keyFor('brand', ['admin']);
    const { session, body } = await signIn(api, admin.token, 'marketer');
    expect(body.scopes).not.toContain('privacy:admin');
    expect((await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } })).json().code).toBe('ACCORD_ERR_FORBIDDEN');
    const audit = await api.app.inject({ url: '/v1/audit-events', headers: bearer(admin.token) });
    expect(audit.json().items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'console.session.opened', actor: `apikey:${admin.id}` })]));
  });

  it('ends the sessions a key opened when the key is revoked', async () => {
    const key = await api.keyFor('brand', ['privacy:admin']);
    const { session } = await signIn(api, key.token);
    expect((await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } })).statusCode).toBe(200);
    expect(await revokeApiKey(t.db, key.id)).toBe(true);
    expect((await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } })).json().code).toBe('ACCORD_ERR_UNAUTHENTICATED');
  });

  it('does not take a session cookie from another node, nor show a session another tenant\'s data', async () => {
    const key = await api.keyFor('brand', ['privacy:admin']);
    const { session } = await signIn(api, key.token);
    expect((await otherNode.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } })).json().code).toBe('ACCORD_ERR_UNAUTHENTICATED');
    expect((await otherNode.app.inject({ url: '/v1/console/session', headers: { cookie: session } })).statusCode).toBe(401);

    const rival = await api.keyFor('rival', ['privacy:admin']);
    await api.app.inject({ method: 'POST', url: '/v1/privacy-requests', headers: bearer(rival.token), payload: { kind: 'access', regime: 'pipl', subject: 'rival-member' } });
    const listed = await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: session } });
    expect(listed.body).not.toContain('rival-member');
    // A forged cookie of the right shape is simply no session.
    const forged = session.replace(/\.(.)/, (_, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    expect((await api.app.inject({ url: '/v1/privacy-requests', headers: { cookie: forged } })).statusCode).toBe(401);
  });

  it('serves the pages with a strict CSP, revalidated HTML, long-cached hashed assets and no way out of the folder', async () => {
    const page = await api.app.inject({ url: '/console/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['cache-control']).toBe('no-cache');
    expect((await api.app.inject({ url: '/console/person/deep-link' })).body).toContain('<title>console</title>');
    const asset = await api.app.inject({ url: '/console/assets/index-abc123.js' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await api.app.inject({ url: '/console/assets/missing.js' })).statusCode).toBe(404);
    expect((await api.app.inject({ url: '/console/..%2f..%2fpackage.json' })).body).not.toContain('"name": "accord"');
    const preferences = await api.app.inject({ url: '/preferences' });
    expect(preferences.headers['content-security-policy']).toContain('frame-ancestors *');
    expect(preferences.headers['referrer-policy']).toBe('no-referrer');
  });

  it('answers the preference centre only for a valid collection token', async () => {
    for (const authorization of [undefined, 'AccordCollect nonsense', 'Bearer x']) {
      const response = await api.app.inject({ url: '/v1/preference-centre', headers: authorization ? { authorization } : {} });
      expect(response.json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_UNAUTHENTICATED' });
    }
  });
});
