import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('preference API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let officer: string;
  let collector: string;
  let reader: string;
  let noticeId: string;
  let counter = 0;
  const send = (method: 'POST' | 'PUT' | 'PATCH' | 'GET', token: string, url: string, body?: unknown) =>
    api.app.inject({ method, url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });
  const setPreferences = (method: 'PUT' | 'PATCH', subject: string, preferences: unknown, extra: Record<string, unknown> = {}) =>
    send(method, collector, `/v1/consent/preferences/${encodeURIComponent(subject)}`, {
      clientChangeId: `pc-${++counter}`,
      channel: 'web',
      source: 'preference-centre',
      collectedAt: new Date().toISOString(),
      preferences,
      ...extra,
    });
  const grant = (subject: string) =>
    send('POST', collector, '/v1/consent/events', {
      clientEventId: `evt-${++counter}`,
      subject,
      purpose: 'marketing.sms',
      regime: 'pipl',
      kind: 'given',
      noticeId,
      channel: 'app',
      source: 'signup',
      collectedAt: new Date(Date.now() + 1_000).toISOString(),
    });
  const mayContact = (body: Record<string, unknown>) => send('POST', reader, '/v1/consent/may-contact', { channel: 'sms', purpose: 'marketing.sms', regime: 'pipl', ...body });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    officer = (await api.keyFor('brand', ['privacy:admin'])).token;
    collector = (await api.keyFor('brand', ['consent:write'])).token;
    reader = (await api.keyFor('brand', ['consent:read'])).token;
    expect((await send('POST', officer, '/v1/consent/purposes', { key: 'marketing.sms', name: 'Marketing texts', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } })).statusCode).toBe(201);
    const notice = await send('POST', officer, '/v1/consent/notices', { noticeKey: 'marketing', language: 'zh-CN', content: '营销短信', purposes: ['marketing.sms'] });
    noticeId = notice.json().id;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('replaces, merges and reads preferences, with the history of who changed what', async () => {
    const put = await setPreferences('PUT', 'member-1', {
      channels: { sms: 'opt_in', email: 'opt_out' },
      quietHours: { timeZone: 'Asia/Shanghai', start: '22:00', end: '08:00' },
      frequencyCaps: { sms: { day: 1, week: 3 } },
      topics: { subscribed: ['news'], unsubscribed: ['offers'] },
      language: 'zh-cn',
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ duplicate: false, preferences: { language: 'zh-CN', channels: { sms: 'opt_in', email: 'opt_out', wechat: 'unset' } } });
    const patched = await setPreferences('PATCH', 'member-1', { channels: { email: null }, topics: { subscribed: ['offers'] } });
    expect(patched.json().preferences).toMatchObject({ channels: { email: 'unset', sms: 'opt_in' }, topics: { subscribed: ['news', 'offers'], unsubscribed: [] }, quietHours: { timeZone: 'Asia/Shanghai' } });
    const replaced = await setPreferences('PUT', 'member-1', { channels: { phone: 'opt_out' } });
    expect(replaced.json().preferences).toMatchObject({ quietHours: null, frequencyCaps: {}, topics: { subscribed: [] }, language: null, channels: { sms: 'unset', phone: 'opt_out' } });

    const read = await send('GET', reader, '/v1/consent/preferences/member-1');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ subject: 'member-1', preferences: replaced.json().preferences, updatedAt: expect.any(String) });
    const history = (await send('GET', reader, '/v1/consent/preferences/member-1/history?limit=2')).json();
    expect(history.changes).toHaveLength(2);
    expect(history.changes[0]).toMatchObject({ mode: 'replace', actor: expect.stringMatching(/^apikey:/), channel: 'web', source: 'preference-centre' });
  });

  it('answers a retry with the stored change and refuses a reused change id', async () => {
    const body = { clientChangeId: 'retry-1', channel: 'app', source: 'settings', collectedAt: new Date().toISOString(), preferences: { channels: { sms: 'opt_out' } } };
    const first = await send('PATCH', collector, '/v1/consent/preferences/member-2', body);
    const again = await send('PATCH', collector, '/v1/consent/preferences/member-2', body);
    expect(again.json()).toEqual({ ...first.json(), duplicate: true });
    const reused = await send('PATCH', collector, '/v1/consent/preferences/member-2', { ...body, preferences: { channels: { sms: 'opt_in' } } });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().code).toBe('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH');
  });

  it('reads an unknown subject exactly like a known subject without preferences', async () => {
    expect((await grant('member-known')).statusCode).toBe(201);
    const known = (await send('GET', reader, '/v1/consent/preferences/member-known')).json();
    const unknown = (await send('GET', reader, '/v1/consent/preferences/member-never-seen')).json();
    expect({ ...unknown, subject: 'member-known' }).toEqual(known);
    expect(known).toMatchObject({ updatedAt: null, preferences: { quietHours: null, language: null, channels: { sms: 'unset' } } });
    expect((await send('GET', reader, '/v1/consent/preferences/member-never-seen/history')).json()).toEqual({ changes: [] });
  });

  it('refuses malformed and oversized preferences with a clear code, writing nothing', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ channels: { fax: 'opt_in' } }, 422, 'ACCORD_ERR_PREFERENCE_CHANNEL'],
      [{ quietHours: { timeZone: 'Mars/Olympus_Mons', start: '22:00', end: '07:00' } }, 422, 'ACCORD_ERR_PREFERENCE_TIME_ZONE'],
      [{ quietHours: { timeZone: 'Asia/Shanghai', start: '25:00', end: '07:00' } }, 422, 'ACCORD_ERR_PREFERENCE_QUIET_HOURS'],
      [{ frequencyCaps: { sms: { day: 0 } } }, 422, 'ACCORD_ERR_PREFERENCE_CAP'],
      [{ frequencyCaps: { sms: { day: -3 } } }, 422, 'ACCORD_ERR_PREFERENCE_CAP'],
      [{ topics: { subscribed: Array.from({ length: 101 }, (_, i) => `topic-${i}`) } }, 422, 'ACCORD_ERR_PREFERENCE_TOPICS'],
      [{ topics: { subscribed: Array.from({ length: 1_001 }, (_, i) => `topic-${i}`) } }, 400, 'ACCORD_ERR_VALIDATION'],
      [{ language: 'not a language' }, 422, 'ACCORD_ERR_PREFERENCE_LANGUAGE'],
      [{ channels: { sms: 'yes' } }, 400, 'ACCORD_ERR_VALIDATION'],
      [{ colour: 'blue' }, 400, 'ACCORD_ERR_VALIDATION'],
    ];
    for (const [preferences, status, code] of cases) {
      const response = await setPreferences('PATCH', 'member-bad', preferences);
      expect({ preferences, status: response.statusCode, code: response.json().code }).toEqual({ preferences, status, code });
    }
    const future = await setPreferences('PATCH', 'member-bad', {}, { collectedAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.json().code).toBe('ACCORD_ERR_CONSENT_COLLECTED_AT');
    expect((await send('GET', reader, '/v1/consent/preferences/member-bad/history')).json()).toEqual({ changes: [] });
  });

  it('checks scopes', async () => {
    expect((await setPreferences('PATCH', 'member-1', {}, {})).statusCode).toBe(200);
    expect((await send('PATCH', reader, '/v1/consent/preferences/member-1', {})).statusCode).toBe(403);
    expect((await send('GET', collector, '/v1/consent/preferences/member-1')).statusCode).toBe(403);
    expect((await send('POST', collector, '/v1/consent/may-contact', {})).statusCode).toBe(403);
    expect((await send('POST', reader, '/v1/consent/contacts', {})).statusCode).toBe(403);
    expect((await send('POST', reader, '/v1/consent/impressions', {})).statusCode).toBe(403);
    expect((await api.app.inject({ url: '/v1/consent/preferences/member-1' })).statusCode).toBe(401);
  });

  it('denies contact without consent whatever the preferences say, then applies quiet hours and caps', async () => {
    await setPreferences('PUT', 'member-c', { channels: { sms: 'opt_in' }, quietHours: { timeZone: 'America/New_York', start: '21:00', end: '08:00' }, frequencyCaps: { sms: { day: 1 } } });
    const noon = '2030-03-10T16:00:00Z'; // 12:00 EDT
    expect((await mayContact({ subject: 'member-c', at: noon })).json()).toEqual({ subject: 'member-c', allowed: false, reason: 'consent_denied', consent: { allowed: false, reason: 'no_consent' } });
    await grant('member-c');
    expect((await mayContact({ subject: 'member-c', at: noon })).json()).toMatchObject({ allowed: true, reason: 'allowed' });
    expect((await mayContact({ subject: 'member-c', at: '2030-03-10T12:30:00Z' })).json()).toMatchObject({ allowed: true }); // 08:30 EDT, after the switch
    expect((await mayContact({ subject: 'member-c', at: '2030-03-09T12:30:00Z' })).json()).toMatchObject({ allowed: false, reason: 'quiet_hours' }); // 07:30 EST
    // The cap is checked now, on a subject without quiet hours, so the time of day the test runs at cannot decide it.
    await setPreferences('PUT', 'member-capped', { channels: { sms: 'opt_in' }, frequencyCaps: { sms: { day: 1 } } });
    await grant('member-capped');
    expect((await mayContact({ subject: 'member-capped' })).json()).toMatchObject({ allowed: true });
    const logged = await send('POST', collector, '/v1/consent/contacts', { clientSendId: 'sms-1', subject: 'member-capped', channel: 'sms', sentAt: new Date().toISOString() });
    expect(logged.statusCode).toBe(201);
    expect((await mayContact({ subject: 'member-capped' })).json()).toMatchObject({ allowed: false, reason: 'frequency_cap', capPeriod: 'day' });
    expect((await mayContact({ subject: 'member-c', channel: 'fax' })).json()).toMatchObject({ code: 'ACCORD_ERR_PREFERENCE_CHANNEL' });
    const batch = await send('POST', reader, '/v1/consent/may-contact/batch', { subjects: ['member-c', 'member-known', 'nobody'], channel: 'sms', purpose: 'marketing.sms', regime: 'pipl', at: noon });
    expect(batch.json()).toMatchObject({ allowed: ['member-c', 'member-known'], denied: [{ subject: 'nobody', reason: 'consent_denied' }] });
  });

  it('records impressions once per id and reports consent rates', async () => {
    const servedAt = new Date(Date.now() + 1_000).toISOString();
    const impression = (id: string) => send('POST', collector, '/v1/consent/impressions', { clientImpressionId: id, noticeId, channel: 'app', servedAt });
    expect((await impression('imp-1')).json()).toEqual({ duplicate: false });
    expect((await impression('imp-1')).json()).toEqual({ duplicate: true });
    for (const id of ['imp-2', 'imp-3', 'imp-4']) await impression(id);
    const unknownNotice = await send('POST', collector, '/v1/consent/impressions', { clientImpressionId: 'imp-x', noticeId: '00000000-0000-4000-8000-000000000000', channel: 'app', servedAt });
    expect(unknownNotice.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE' });

    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const report = await send('GET', reader, `/v1/consent/reports/consent-rates?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(report.statusCode).toBe(200);
    // Grants so far in this suite: member-known, member-c and member-capped, all on the app channel.
    expect(report.json().rows).toEqual([
      { purpose: 'marketing.sms', channel: 'app', noticeId, noticeKey: 'marketing', noticeVersion: 1, language: 'zh-CN', served: 4, given: 3, refused: 0, withdrawn: 0, consentRate: 0.75 },
    ]);
    // The privacy officer may read it too; a collection point may not.
    const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    expect((await send('GET', officer, `/v1/consent/reports/consent-rates?${range}`)).json()).toEqual(report.json());
    expect((await send('GET', collector, `/v1/consent/reports/consent-rates?${range}`)).statusCode).toBe(403);
    const backwards = await send('GET', reader, `/v1/consent/reports/consent-rates?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().code).toBe('ACCORD_ERR_CONSENT_REPORT_RANGE');
  });
});
