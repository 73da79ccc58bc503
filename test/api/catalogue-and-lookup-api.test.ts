/**
 * Reading purposes and notice versions, and finding a person by an identifier through its keyed
 * hash (issue 14): the same 404 for an identifier nobody has, a clear error for one that cannot
 * be an identifier, the identifier's value in no audit event, and a consent-timeline link that works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

const purpose = { key: 'marketing.email', name: 'Email offers', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } };

describe.each(storageBackends)('consent catalogue and person lookup on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let admin: string;
  let tenantId: string;
  const call = (token: string, method: 'GET' | 'POST', url: string, payload?: object) => api.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const key = await api.keyFor('brand', ['admin']);
    admin = key.token;
    tenantId = key.tenantId;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('lists and reads purposes', async () => {
    expect((await call(admin, 'POST', '/v1/consent/purposes', purpose)).statusCode).toBe(201);
    const reader = (await api.keyFor('brand', ['consent:read'])).token;
    const listed = (await call(reader, 'GET', '/v1/consent/purposes')).json().purposes;
    expect(listed.map((p: { key: string }) => p.key)).toEqual(['analytics.profiling', 'marketing.email']);
    expect((await call(reader, 'GET', '/v1/consent/purposes/marketing.email')).json()).toMatchObject({ ...purpose, retentionDays: null, crossBorder: false });
    expect((await call(reader, 'GET', '/v1/consent/purposes/no.such')).json().code).toBe('ACCORD_ERR_NOT_FOUND');
  });

  it('lists the latest notices, reads one version and every version of it', async () => {
    const publish = async (language: string, recipients: string[]) =>
      (await call(admin, 'POST', '/v1/consent/notices', { noticeKey: 'signup', language, content: `text ${language} ${recipients.length}`, purposes: ['marketing.email'], recipients })).json();
    const first = await publish('zh-CN', []);
    const second = await publish('zh-CN', ['acme-agency']);
    const english = await publish('en', []);
    const latest = (await call(admin, 'GET', '/v1/consent/notices')).json().notices;
    expect(latest.map((n: { id: string }) => n.id)).toEqual([english.id, second.id]);
    const one = (await call(admin, 'GET', `/v1/consent/notices/${first.id}`)).json();
    expect(one).toMatchObject({ noticeKey: 'signup', version: 1, language: 'zh-CN', recipients: [], contentHash: first.contentHash, disabledAt: null });
    const versions = (await call(admin, 'GET', `/v1/consent/notices/${second.id}/versions`)).json().versions;
    expect(versions.map((n: { version: number; recipients: string[] }) => [n.version, n.recipients])).toEqual([[1, []], [2, ['acme-agency']]]);
    expect((await call(admin, 'GET', '/v1/consent/notices/00000000-0000-4000-8000-000000000000')).json().code).toBe('ACCORD_ERR_NOT_FOUND');
    expect((await call(admin, 'GET', '/v1/consent/notices/nope/versions')).json().code).toBe('ACCORD_ERR_VALIDATION');
  });

  it('finds a person by email, phone or member id and links their consent timeline', async () => {
    const ingested = await call(admin, 'POST', '/v1/ingest/members/batch', { records: [{ email: 'Alice@Example.com', phone: '13800138000', 'member_id@acme-club': '10001' }] });
    expect(ingested.statusCode, ingested.body).toBe(201);
    const officer = (await api.keyFor('brand', ['privacy:admin', 'consent:read'])).token;
    const byEmail = await call(officer, 'POST', '/v1/persons/lookup', { type: 'email', value: ' alice@example.COM ' });
    expect(byEmail.statusCode, byEmail.body).toBe(200);
    const { personId, subject, links } = byEmail.json();
    expect((await call(officer, 'POST', '/v1/persons/lookup', { type: 'phone', value: '+86 138 0013 8000' })).json().personId).toBe(personId);
    expect((await call(officer, 'POST', '/v1/persons/lookup', { type: 'member_id', scope: 'acme-club', value: '１０００１' })).json().personId).toBe(personId);

    const history = await call(officer, 'GET', links.consentHistory);
    expect(history.statusCode).toBe(200);
    expect(history.json().subject).toBe(subject);
  });

  it('answers an unknown identifier with the same 404, refuses a malformed one, and audits lookups without the value', async () => {
    const officer = (await api.keyFor('brand', ['privacy:admin'])).token;
    const unknown = await call(officer, 'POST', '/v1/persons/lookup', { type: 'email', value: 'nobody@example.com' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toBe('person with this identifier not found');
    const otherScope = await call(officer, 'POST', '/v1/persons/lookup', { type: 'member_id', scope: 'other-club', value: '10001' });
    expect(otherScope.json().detail).toBe(unknown.json().detail);
    const malformed = await call(officer, 'POST', '/v1/persons/lookup', { type: 'email', value: 'not an email' });
    expect(malformed.json().code).toBe('ACCORD_ERR_INVALID_INPUT');
    expect((await call(officer, 'POST', '/v1/persons/lookup', { type: 'email' })).json().code).toBe('ACCORD_ERR_VALIDATION');

    const audited = await withTenant(t.db, tenantId, (trx) => trx.selectFrom('audit_events').select(['target_id', 'details']).where('action', '=', 'persons.looked_up').execute());
    expect(audited.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(audited)).not.toMatch(/nobody|alice|10001|138/i);
    // Looking up needs privacy:admin or data:read, not just any key.
    const tagger = (await api.keyFor('brand', ['tags:read'])).token;
    expect((await call(tagger, 'POST', '/v1/persons/lookup', { type: 'email', value: 'alice@example.com' })).json().code).toBe('ACCORD_ERR_FORBIDDEN');
  });
});
