import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBJECT_ERASED_JOB } from '../../core/privacy/erase-subject.ts';
import { SUBJECT_EXPORT_FORMAT } from '../../core/privacy/export-subject-data.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('privacy request API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let officer: string;
  let collector: string;
  let otherOfficer: string;
  let noticeId: string;
  let counter = 0;
  const post = (token: string, url: string, body: unknown) => api.app.inject({ method: 'POST', url, payload: body as object, headers: bearer(token) });
  const get = (token: string, url: string) => api.app.inject({ url, headers: bearer(token) });
  const grant = (subject: string, recipient: string) =>
    post(collector, '/v1/consent/events', {
      clientEventId: `signup-${++counter}`,
      subject,
      purpose: 'marketing.advertising.lookalike',
      recipient,
      regime: 'pipl',
      kind: 'given',
      noticeId,
      channel: 'app',
      source: 'signup',
      collectedAt: new Date(Date.now() + 1_000).toISOString(),
    });
  /** Creates a request and brings it to in_progress; returns its id. */
  const startRequest = async (kind: string, subject: string, regime = 'pipl') => {
    const created = await post(officer, '/v1/privacy-requests', { kind, regime, subject });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await post(officer, `/v1/privacy-requests/${id}/transitions`, { to: 'verifying' })).statusCode).toBe(200);
    const started = await post(officer, `/v1/privacy-requests/${id}/transitions`, { to: 'in_progress', verification: { method: 'id_card_check', reference: 'ticket-4411' } });
    expect(started.json()).toMatchObject({ status: 'in_progress', verification: { method: 'id_card_check', reference: 'ticket-4411' } });
    return id;
  };

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    officer = (await api.keyFor('brand', ['privacy:admin'])).token;
    collector = (await api.keyFor('brand', ['consent:write'])).token;
    otherOfficer = (await api.keyFor('other-brand', ['privacy:admin'])).token;
    expect(
      (await post(officer, '/v1/consent/purposes', { key: 'marketing.advertising.lookalike', name: 'Lookalike', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, requiresNamedRecipient: true })).statusCode,
    ).toBe(201);
    const notice = await post(officer, '/v1/consent/notices', { noticeKey: 'privacy', language: 'zh-CN', content: '共享给巨量引擎和腾讯广告', purposes: ['marketing.advertising.lookalike'], recipients: ['ocean-engine', 'tencent-ads'] });
    noticeId = notice.json().id;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('creates a request with its regime deadline and moves it through its statuses', async () => {
    const receivedAt = '2026-01-31T09:00:00.000Z';
    const created = await post(officer, '/v1/privacy-requests', { kind: 'access', regime: 'gdpr', subject: 'member-9', receivedAt });
    expect(created.json()).toMatchObject({ status: 'received', receivedAt, dueAt: '2026-02-28T09:00:00.000Z', extended: false, verification: null });
    const id = created.json().id;
    const early = await post(officer, `/v1/privacy-requests/${id}/transitions`, { to: 'in_progress' });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    const extended = await post(officer, `/v1/privacy-requests/${id}/extension`, { reason: 'many systems hold this person' });
    expect(extended.json()).toMatchObject({ extended: true, dueAt: '2026-04-30T09:00:00.000Z' });
    expect((await post(officer, `/v1/privacy-requests/${id}/extension`, { reason: 'again' })).statusCode).toBe(409);
    await post(officer, `/v1/privacy-requests/${id}/transitions`, { to: 'verifying' });
    expect((await post(officer, `/v1/privacy-requests/${id}/transitions`, { to: 'rejected' })).statusCode).toBe(409);
    expect((await post(officer, `/v1/privacy-requests/${id}/transitions`, { to: 'rejected', reason: 'identity not confirmed' })).json()).toMatchObject({ status: 'rejected', closedAt: expect.any(String) });

    const detail = (await get(officer, `/v1/privacy-requests/${id}`)).json();
    expect(detail.trail.map((e: { action: string; toStatus: string | null }) => `${e.action}:${e.toStatus ?? ''}`)).toEqual([
      'created:received',
      'deadline_extended:',
      'status_changed:verifying',
      'status_changed:rejected',
    ]);
    expect(detail.trail.every((e: { actor: string }) => e.actor.startsWith('apikey:'))).toBe(true);

    const pipl = (await post(officer, '/v1/privacy-requests', { kind: 'erasure', regime: 'pipl', subject: 'member-9' })).json();
    expect((await post(officer, `/v1/privacy-requests/${pipl.id}/extension`, { reason: 'busy' })).json().code).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect((await post(officer, '/v1/privacy-requests', { kind: 'access', regime: 'pipl', subject: 'm', receivedAt: '2999-01-01T00:00:00Z' })).statusCode).toBe(400);
  });

  it('lists overdue requests', async () => {
    const late = (await post(officer, '/v1/privacy-requests', { kind: 'access', regime: 'pipl', subject: 'member-late', receivedAt: new Date(Date.now() - 16 * 86_400_000).toISOString() })).json();
    expect(late.overdue).toBe(true);
    const overdue = (await get(officer, '/v1/privacy-requests?overdue=true')).json().requests;
    expect(overdue.map((r: { id: string }) => r.id)).toEqual([late.id]);
    const open = (await get(officer, '/v1/privacy-requests?overdue=false&status=received')).json().requests;
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((r: { overdue: boolean; status: string }) => !r.overdue && r.status === 'received')).toBe(true);
  });

  it('exports everything held about the subject of an access request as one JSON document', async () => {
    expect((await grant('member-1', 'ocean-engine')).statusCode).toBe(201);
    const stored = await post(collector, '/v1/personal-data', { subject: 'member-1', field: 'contact.wechat_openid', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(stored.statusCode).toBe(201);
    expect((await post(collector, '/v1/personal-data', { subject: 'member-1', field: 'contact.wechat_openid', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })).statusCode).toBe(200);
    const id = await startRequest('access', 'member-1');

    const exported = await get(officer, `/v1/privacy-requests/${id}/export`);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^application\/json/);
    expect(exported.headers['content-disposition']).toBe(`attachment; filename="subject-export-${id}.json"`);
    const bundle = exported.json();
    expect(bundle).toMatchObject({ format: SUBJECT_EXPORT_FORMAT, subject: 'member-1', request: { id, regime: 'pipl' } });
    expect(bundle.consentEvents).toEqual([
      expect.objectContaining({ seq: expect.any(Number), purpose: 'marketing.advertising.lookalike', recipient: 'ocean-engine', kind: 'given', collectedAt: expect.any(String), receivedAt: expect.any(String) }),
    ]);
    expect(bundle.consentState).toEqual([expect.objectContaining({ recipient: 'ocean-engine', granted: true })]);
    expect(bundle.consentedRecipients).toEqual([expect.objectContaining({ recipient: 'ocean-engine', purpose: 'marketing.advertising.lookalike' })]);
    expect(bundle.personalData).toEqual([expect.objectContaining({ field: 'contact.wechat_openid', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' })]);
    expect(bundle.auditEvents.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['privacy.personal_data.stored', 'privacy.request.created', 'privacy.request.exported']),
    );
    expect(bundle.privacyRequests).toEqual([expect.objectContaining({ id, kind: 'access', status: 'in_progress' })]);
    for (const section of ['disclosures', 'preferences', 'preferenceChanges', 'contacts', 'processingRecords', 'segmentMemberships', 'psiMatches']) expect(bundle[section]).toEqual([]);

    // Only access requests export, and only once under way.
    const erasure = (await post(officer, '/v1/privacy-requests', { kind: 'erasure', regime: 'pipl', subject: 'member-1' })).json();
    expect((await get(officer, `/v1/privacy-requests/${erasure.id}/export`)).json().code).toBe('ACCORD_ERR_PRIVACY_REQUEST_KIND');
  });

  it('rectifies a vault value and records only the field name', async () => {
    await post(collector, '/v1/personal-data', { subject: 'member-5', field: 'contact.phone', value: '+8613800138000' });
    const id = await startRequest('rectification', 'member-5');
    const rectified = await post(officer, `/v1/privacy-requests/${id}/rectification`, { field: 'contact.phone', value: '+8613900139000' });
    expect(rectified.json()).toEqual({ field: 'contact.phone', rectified: true });
    expect((await post(officer, `/v1/privacy-requests/${id}/rectification`, { field: 'contact.email', value: 'x@example.com' })).statusCode).toBe(404);
    const trail = JSON.stringify((await get(officer, `/v1/privacy-requests/${id}`)).json().trail);
    expect(trail).toContain('contact.phone');
    // Neither value, whole or as the national number.
    for (const value of ['+8613800138000', '13800138000', '+8613900139000', '13900139000']) expect(trail).not.toContain(value);
  });

  it('erases through the API, then refuses new personal data for the subject', async () => {
    await grant('member-2', 'ocean-engine');
    await grant('member-2', 'tencent-ads');
    await post(collector, '/v1/personal-data', { subject: 'member-2', field: 'contact.phone', value: '+8613800138000' });
    const id = await startRequest('erasure', 'member-2');
    const erased = await post(officer, `/v1/privacy-requests/${id}/erasure`, { identifiers: [{ type: 'phone_sha256', hash: 'b'.repeat(64) }] });
    expect(erased.statusCode).toBe(200);
    // Not a resolved person: no derived store can hold them.
    expect(erased.json()).toMatchObject({ request: { status: 'completed' }, fieldsDeleted: 1, keyShredded: true, tombstonesAdded: 2, recipients: ['ocean-engine', 'tencent-ads'], alreadyErased: false, removals: [] });
    // Two grants withdrawn, and analytics.profiling refused where it is opt-out (CCPA).
    expect(erased.json().withdrawnSeqs).toHaveLength(3);
    const job = await t.db.selectFrom('jobs').select(['payload']).where('id', '=', erased.json().jobId).executeTakeFirstOrThrow();
    expect(job.payload).toMatchObject({ requestId: id, recipients: ['ocean-engine', 'tencent-ads'] });
    expect(await t.db.selectFrom('jobs').select('id').where('name', '=', SUBJECT_ERASED_JOB).execute()).toHaveLength(1);

    expect((await post(officer, `/v1/privacy-requests/${id}/erasure`, {})).json().code).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    const refused = await post(collector, '/v1/personal-data', { subject: 'member-2', field: 'contact.phone', value: '+8613800138000' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('ACCORD_ERR_CONSENT_SUPPRESSED');
    expect((await get(officer, '/v1/consent/verify')).json()).toMatchObject({ ok: true });
    const raw = await post(officer, `/v1/privacy-requests/${await startRequest('erasure', 'member-3')}/erasure`, { identifiers: [{ type: 'email', hash: 'someone@example.com' }] });
    expect(raw.statusCode).toBe(400);
  });

  it("keeps each tenant's requests to itself and needs privacy:admin", async () => {
    const id = await startRequest('access', 'member-1');
    for (const url of [`/v1/privacy-requests/${id}`, `/v1/privacy-requests/${id}/export`]) {
      const response = await get(otherOfficer, url);
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('ACCORD_ERR_NOT_FOUND');
    }
    expect((await post(otherOfficer, `/v1/privacy-requests/${id}/transitions`, { to: 'completed' })).statusCode).toBe(404);
    expect((await get(otherOfficer, '/v1/privacy-requests')).json().requests).toEqual([]);
    expect((await post(collector, '/v1/privacy-requests', { kind: 'access', regime: 'pipl', subject: 'member-1' })).statusCode).toBe(403);
    expect((await get(collector, `/v1/privacy-requests/${id}`)).statusCode).toBe(403);
    expect((await post(officer, '/v1/personal-data', { subject: 'member-1', field: 'contact.phone', value: '1' })).statusCode).toBe(403);
  });
});
