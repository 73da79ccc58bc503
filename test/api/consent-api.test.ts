import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../crypto/checkpoint.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('consent API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let officer: string;
  let collector: string;
  let reader: string;
  let noticeId: string;
  const post = (token: string, url: string, body: unknown) => api.app.inject({ method: 'POST', url, payload: body as object, headers: bearer(token) });
  const grant = (subject: string, extra: Record<string, unknown> = {}) =>
    post(collector, '/v1/consent/events', {
      clientEventId: `signup-${subject}`,
      subject,
      purpose: 'marketing.advertising.lookalike',
      recipient: 'ocean-engine',
      regime: 'pipl',
      kind: 'given',
      noticeId,
      channel: 'app',
      source: 'signup',
      collectedAt: new Date(Date.now() + 1_000).toISOString(),
      ...extra,
    });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    officer = (await api.keyFor('brand', ['privacy:admin'])).token;
    collector = (await api.keyFor('brand', ['consent:write'])).token;
    reader = (await api.keyFor('brand', ['consent:read'])).token;
    const purpose = await post(officer, '/v1/consent/purposes', {
      key: 'marketing.advertising.lookalike',
      name: 'Lookalike with media partners',
      mechanism: 'opt_in',
      legalBasis: { pipl: 'consent' },
      requiresNamedRecipient: true,
    });
    expect(purpose.statusCode).toBe(201);
    const notice = await post(officer, '/v1/consent/notices', {
      noticeKey: 'privacy',
      language: 'zh-CN',
      content: '我们会与巨量引擎共享您的手机号用于相似人群扩展。',
      purposes: ['marketing.advertising.lookalike'],
      recipients: ['ocean-engine'],
    });
    expect(notice.statusCode).toBe(201);
    expect(notice.json()).toMatchObject({ version: 1, contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    noticeId = notice.json().id;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('records a grant and answers the gate', async () => {
    const collectedAt = new Date(Date.now() + 1_000).toISOString();
    const recorded = await grant('member-1', { collectedAt });
    expect(recorded.statusCode).toBe(201);
    expect(recorded.json()).toEqual({ seq: 1, duplicate: false });
    // The collection point retries: same event id and content, same answer, nothing appended.
    expect((await grant('member-1', { collectedAt })).json()).toEqual({ seq: 1, duplicate: true });
    const conflicting = await grant('member-1', { kind: 'refused', noticeId: undefined, collectedAt });
    expect(conflicting.statusCode).toBe(409);
    expect(conflicting.json().code).toBe('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH');
    const check = await post(reader, '/v1/consent/check', { subject: 'member-1', purpose: 'marketing.advertising.lookalike', recipient: 'ocean-engine', regime: 'pipl' });
    expect(check.json()).toEqual({ allowed: true, reason: 'granted', decidedBySeq: 1 });
  });

  it('answers an unknown subject in the same shape as a known one without consent', async () => {
    const unknown = await post(reader, '/v1/consent/check', { subject: 'never-seen', purpose: 'marketing.advertising.lookalike', recipient: 'ocean-engine', regime: 'pipl' });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({ allowed: false, reason: 'no_consent', decidedBySeq: null });
  });

  it('refuses bad events with a consent error code and keys without the scope', async () => {
    const backdated = await grant('member-2', { collectedAt: '2019-01-01T00:00:00Z' });
    expect(backdated.statusCode).toBe(422);
    expect(backdated.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_COLLECTED_AT' });
    const unknownPurpose = await grant('member-2', { purpose: 'marketing.sms' });
    expect(unknownPurpose.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' });
    const byReader = await post(reader, '/v1/consent/events', {});
    expect(byReader.statusCode).toBe(403);
    const badTime = await grant('member-2', { collectedAt: 'yesterday' });
    expect(badTime.json()).toMatchObject({ code: 'ACCORD_ERR_VALIDATION' });
  });

  it('records a batch all or nothing, with results in request order', async () => {
    const collectedAt = new Date(Date.now() + 1_000).toISOString();
    const event = (subject: string, extra: Record<string, unknown> = {}) => ({
      clientEventId: `batch-${subject}`, subject, purpose: 'marketing.advertising.lookalike', recipient: 'ocean-engine',
      regime: 'pipl', kind: 'given', noticeId, channel: 'crm', source: 'batch', collectedAt, ...extra,
    });
    const refused = await post(collector, '/v1/consent/events/batch', { events: [event('batch-1'), event('batch-2', { recipient: 'unnamed-partner' })] });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('ACCORD_ERR_CONSENT_NOTICE_SCOPE');
    const check = { subject: 'batch-1', purpose: 'marketing.advertising.lookalike', recipient: 'ocean-engine', regime: 'pipl' };
    expect((await post(reader, '/v1/consent/check', check)).json()).toMatchObject({ allowed: false });
    const recorded = await post(collector, '/v1/consent/events/batch', { events: [event('batch-1'), event('batch-2'), event('batch-1')] });
    expect(recorded.statusCode).toBe(201);
    const [first, second, repeat] = recorded.json().results;
    expect(second.seq).toBe(first.seq + 1);
    expect(repeat).toEqual({ seq: first.seq, duplicate: true });
    expect((await post(reader, '/v1/consent/check', check)).json()).toMatchObject({ allowed: true, decidedBySeq: first.seq });
    expect((await post(collector, '/v1/consent/events/batch', { events: [] })).statusCode).toBe(400);
  });

  it('disables a notice version for new grants without deleting it', async () => {
    const notice = await post(officer, '/v1/consent/notices', { noticeKey: 'retired', language: 'en', content: 'Old text', purposes: ['marketing.advertising.lookalike'], recipients: ['ocean-engine'] });
    const id = notice.json().id;
    expect((await post(reader, `/v1/consent/notices/${id}/disable`, {})).statusCode).toBe(403);
    expect((await post(officer, `/v1/consent/notices/${id}/disable`, {})).statusCode).toBe(204);
    expect((await post(officer, '/v1/consent/notices/00000000-0000-4000-8000-000000000000/disable', {})).statusCode).toBe(404);
    const refused = await grant('member-9', { clientEventId: 'retired-1', noticeId: id });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('ACCORD_ERR_CONSENT_NOTICE_DISABLED');
  });

  it('merges two references of one person into the most restrictive state', async () => {
    await grant('merge-device');
    await grant('merge-email', { clientEventId: 'merge-email-given' });
    await grant('merge-email', { clientEventId: 'merge-email-withdrawn', kind: 'withdrawn', noticeId: undefined, collectedAt: new Date(Date.now() + 2_000).toISOString() });
    const merged = await post(collector, '/v1/consent/subject-merges', { mergeId: 'one-id-7', survivor: 'merge-device', absorbed: 'merge-email' });
    expect(merged.json()).toEqual({ restricted: 1 });
    const check = await post(reader, '/v1/consent/check', { subject: 'merge-device', purpose: 'marketing.advertising.lookalike', recipient: 'ocean-engine', regime: 'pipl' });
    expect(check.json()).toMatchObject({ allowed: false, reason: 'denied' });
  });

  it('serves the change feed downstream systems follow, in order from a cursor', async () => {
    await grant('feed-1', { clientEventId: 'feed-1-given' });
    await grant('feed-1', { clientEventId: 'feed-1-withdrawn', kind: 'withdrawn', noticeId: undefined, collectedAt: new Date(Date.now() + 2_000).toISOString() });
    const all = (await api.app.inject({ method: 'GET', url: '/v1/consent/changes?after=0&limit=10000', headers: bearer(reader) })).json();
    const mine = all.changes.filter((change: { subject: string }) => change.subject === 'feed-1');
    expect(mine.map((change: { kind: string }) => change.kind)).toEqual(['given', 'withdrawn']);
    expect(all.next).toBe(all.changes.at(-1).seq);
    const after = (await api.app.inject({ method: 'GET', url: `/v1/consent/changes?after=${mine[0].seq}&limit=1`, headers: bearer(reader) })).json();
    expect(after.changes).toEqual([expect.objectContaining({ seq: mine[0].seq + 1 })]);
    expect((await api.app.inject({ method: 'GET', url: '/v1/consent/changes', headers: bearer(collector) })).statusCode).toBe(403);
  });

  it('seals a signed checkpoint and verifies the log against it for the privacy officer', async () => {
    expect((await api.app.inject({ url: '/v1/consent/checkpoints/latest', headers: bearer(reader) })).statusCode).toBe(404);
    const sealed = await post(officer, '/v1/consent/checkpoints', {});
    expect(sealed.statusCode).toBe(201);
    const latest = (await api.app.inject({ url: '/v1/consent/checkpoints/latest', headers: bearer(reader) })).json();
    expect(latest).toEqual(sealed.json());
    const opened = openCheckpoint(Buffer.from(latest.body, 'base64'), Buffer.from(latest.signature, 'base64'), api.identity.publicKey);
    expect(opened).toMatchObject({ treeSize: latest.treeSize });
    const verify = await api.app.inject({ url: '/v1/consent/verify', headers: bearer(officer) });
    expect(verify.json()).toMatchObject({ ok: true, checkpointsChecked: 1 });
    expect((await api.app.inject({ url: '/v1/consent/verify', headers: bearer(reader) })).statusCode).toBe(403);
  });
});
