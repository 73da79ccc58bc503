import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCollectionToken } from '../../core/consent/collection-tokens.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('consent collection tokens on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let collector: string;
  let reader: string;
  let tenantId: string;
  let noticeId: string;
  const purpose = 'marketing.sms';
  const post = (url: string, body: unknown, headers: Record<string, string>) => api.app.inject({ method: 'POST', url, payload: body as object, headers });
  const choice = (extra: Record<string, unknown> = {}) => ({
    clientEventId: `form-${Math.random()}`, purpose, regime: 'pipl', kind: 'given', noticeId, channel: 'web', source: 'preference-centre',
    collectedAt: new Date().toISOString(), ...extra,
  });
  const collect = (token: string, events: unknown[]) => post('/v1/consent/collect', { events }, { authorization: `AccordCollect ${token}` });
  const mint = async (body: Record<string, unknown>) => (await post('/v1/consent/collection-tokens', body, bearer(collector))).json().token as string;
  const allowed = async (subject: string) => (await post('/v1/consent/check', { subject, purpose, regime: 'pipl' }, bearer(reader))).json().allowed;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const officer = (await api.keyFor('brand', ['privacy:admin'])).token;
    const key = await api.keyFor('brand', ['consent:write']);
    collector = key.token;
    tenantId = key.tenantId;
    reader = (await api.keyFor('brand', ['consent:read'])).token;
    await post('/v1/consent/purposes', { key: purpose, name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } }, bearer(officer));
    await post('/v1/consent/purposes', { key: 'marketing.email', name: 'Email', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } }, bearer(officer));
    noticeId = (await post('/v1/consent/notices', { noticeKey: 'centre', language: 'zh-CN', content: '短信与邮件营销', purposes: [purpose, 'marketing.email'] }, bearer(officer))).json().id;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it("records the token holder's choices, for the token's subject only", async () => {
    const token = await mint({ subject: 'member-7', purposes: [purpose] });
    const recorded = await collect(token, [choice()]);
    expect(recorded.statusCode).toBe(201);
    expect(await allowed('member-7')).toBe(true);
    // The body cannot name another subject: the field is not part of the schema.
    const smuggled = await collect(token, [{ ...choice(), subject: 'victim@example.com' }]);
    expect(smuggled.statusCode).toBe(400);
    expect(await allowed('victim@example.com')).toBe(false);
    const otherPurpose = await collect(token, [choice({ purpose: 'marketing.email' })]);
    expect(otherPurpose.statusCode).toBe(403);
  });

  it('refuses missing, forged, altered and expired tokens, and minting without a key', async () => {
    expect((await collect('', [choice()])).statusCode).toBe(401);
    const token = await mint({ subject: 'member-8' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'victim@example.com' })).toString('base64url');
    expect((await collect(`${header}.${altered}.${signature}`, [choice()])).statusCode).toBe(401);
    const expired = issueCollectionToken(api.identity, { tenantId, subject: 'member-8', ttlSeconds: 60 }, new Date(Date.now() - 120_000));
    expect((await collect(expired.token, [choice()])).statusCode).toBe(401);
    expect((await post('/v1/consent/collection-tokens', { subject: 'member-8' }, {})).statusCode).toBe(401);
    expect(await allowed('member-8')).toBe(false);
    expect((await collect(token, [choice()])).statusCode).toBe(201);
  });
});
