import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Purpose } from '../../../consent/purpose.ts';
import { recordContact } from '../../../core/consent/contact-log.ts';
import { consentRateReport } from '../../../core/consent/consent-rate-report.ts';
import { mayContact, mayContactMany } from '../../../core/consent/may-contact.ts';
import { recordNoticeImpression } from '../../../core/consent/notice-impressions.ts';
import { publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { currentPreferences, preferenceHistory } from '../../../core/consent/read-preferences.ts';
import { recordConsentEvent, type ConsentEventInput } from '../../../core/consent/record-consent-event.ts';
import { recordPreferenceChange, type PreferenceChangeInput } from '../../../core/consent/record-preference-change.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const sms: Purpose = {
  key: 'marketing.sms',
  name: 'Marketing text messages',
  mechanism: 'opt_in',
  legalBasis: { pipl: 'consent' },
  retentionDays: null,
  sensitiveCategory: null,
  requiresNamedRecipient: false,
  crossBorder: false,
  publicDisclosure: false,
};
const email: Purpose = { ...sms, key: 'marketing.email', name: 'Marketing e-mail' };

describe.each(storageBackends)('preferences and consent rates on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let notice: Notice;
  let counter = 0;
  const start = Date.now();
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const change = (subject: string, overrides: Partial<PreferenceChangeInput>) =>
    inTenant((trx) => recordPreferenceChange(trx, {
      clientChangeId: `change-${++counter}`,
      subject,
      mode: 'merge',
      preferences: {},
      actor: 'apikey:test',
      channel: 'web',
      source: 'preference-centre',
      collectedAt: new Date(),
      ...overrides,
    }));
  const consent = (overrides: Partial<ConsentEventInput>) =>
    inTenant((trx) => recordConsentEvent(trx, {
      clientEventId: `evt-${++counter}`,
      subject: 'person-1',
      purpose: sms.key,
      regime: 'pipl',
      kind: 'given',
      noticeId: notice.id,
      channel: 'app',
      source: 'signup',
      collectedAt: new Date(),
      ...overrides,
    }));
  const ask = (subject: string, overrides: Partial<Parameters<typeof mayContact>[1]> = {}) =>
    inTenant((trx) => mayContact(trx, { subject, channel: 'sms', purpose: sms.key, regime: 'pipl', at: new Date(), ...overrides }));

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    notice = await inTenant(async (trx) => {
      await definePurpose(trx, sms);
      await definePurpose(trx, email);
      return publishNotice(trx, { noticeKey: 'marketing', language: 'zh-CN', content: '营销短信与邮件', purposes: [sms.key, email.key], recipients: [], dataCategories: ['phone'] });
    });
  });
  afterAll(() => t.dispose());

  it('keeps every change in the history and answers retries with the stored change', async () => {
    const collectedAt = new Date();
    const input = { clientChangeId: 'pc-1', preferences: { channels: { sms: 'opt_out' as const } }, collectedAt };
    const first = await change('person-h', input);
    expect(first).toMatchObject({ duplicate: false, preferences: { channels: { sms: 'opt_out' } } });
    expect(await change('person-h', input)).toMatchObject({ seq: first.seq, duplicate: true });
    await expect(change('person-h', { ...input, preferences: { channels: { sms: 'opt_in' } } })).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH' });
    await change('person-h', { preferences: { language: 'en-GB' } });
    const history = await inTenant((trx) => preferenceHistory(trx, 'person-h', { limit: 10 }));
    expect(history.map((h) => h.clientChangeId)).toEqual([expect.stringMatching(/^change-/), 'pc-1']);
    expect(history[1]).toMatchObject({ actor: 'apikey:test', channel: 'web', source: 'preference-centre', collectedAt });
    // The history is append-only, even for the tenant's own role.
    await expect(inTenant((trx) => sql`update consent_preference_changes set source = 'x'`.execute(trx))).rejects.toThrow();
  });

  it('does not let an older change that arrives late overwrite a newer one', async () => {
    const now = Date.now();
    await change('person-late', { preferences: { channels: { sms: 'opt_out' } }, collectedAt: new Date(now) });
    const late = await change('person-late', { preferences: { channels: { sms: 'opt_in', email: 'opt_in' } }, collectedAt: new Date(now - 60_000) });
    expect(late.preferences.channels).toMatchObject({ sms: 'opt_out', email: 'opt_in' });
    const current = await inTenant((trx) => currentPreferences(trx, 'person-late'));
    expect(current.preferences.channels.sms).toBe('opt_out');
    expect(current.updatedAt).toEqual(new Date(now));
  });

  it('refuses invalid changes and leaves nothing behind', async () => {
    await expect(change('person-bad', { preferences: { quietHours: { timeZone: 'Asia/Shanghai', start: '25:00', end: '07:00' } } })).rejects.toMatchObject({ code: 'ACCORD_ERR_PREFERENCE_QUIET_HOURS' });
    await expect(change('person-bad', { collectedAt: new Date(Date.now() + 3_600_000) })).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_COLLECTED_AT' });
    const rows = await inTenant((trx) => trx.selectFrom('consent_preference_changes').select('seq').where('subject', '=', 'person-bad').execute());
    expect(rows).toEqual([]);
  });

  it('never allows contact that consent denies, even when preferences opt in', async () => {
    await change('person-gate', { preferences: { channels: { sms: 'opt_in' } } });
    expect(await ask('person-gate')).toMatchObject({ allowed: false, reason: 'consent_denied', consent: { allowed: false, reason: 'no_consent' } });
    await consent({ subject: 'person-gate' });
    expect(await ask('person-gate')).toMatchObject({ allowed: true, reason: 'allowed', consent: { allowed: true, reason: 'granted' } });
    await consent({ subject: 'person-gate', kind: 'withdrawn', noticeId: undefined, collectedAt: new Date(Date.now() + 1) });
    expect(await ask('person-gate')).toMatchObject({ allowed: false, reason: 'consent_denied', consent: { reason: 'denied' } });
    expect(await ask('person-gate', { purpose: 'marketing.unknown' })).toMatchObject({ allowed: false, reason: 'consent_denied', consent: { reason: 'unknown_purpose' } });
  });

  it('counts logged sends against the caps, in rolling windows, once per send id', async () => {
    await consent({ subject: 'person-cap' });
    await change('person-cap', { preferences: { frequencyCaps: { sms: { day: 2, week: 3 } } } });
    const now = Date.now();
    const send = (id: string, sentAt: number, channel = 'sms') => inTenant((trx) => recordContact(trx, { clientSendId: id, subject: 'person-cap', channel, sentAt: new Date(sentAt) }));
    await send('s-old', now - 2 * 86_400_000); // two days ago: counts for the week only
    await send('s-1', now - 3_600_000);
    expect(await send('s-1', now - 3_600_000)).toEqual({ duplicate: true }); // a retried delivery report
    await send('e-1', now - 60_000, 'email');
    expect(await ask('person-cap', { at: new Date(now) })).toMatchObject({ allowed: true });
    expect(await ask('person-cap', { at: new Date(now), sentInWindow: 1 })).toMatchObject({ allowed: false, reason: 'frequency_cap', capPeriod: 'day' });
    await send('s-2', now - 60_000);
    expect(await ask('person-cap', { at: new Date(now) })).toMatchObject({ allowed: false, reason: 'frequency_cap', capPeriod: 'day' });
    // A day later the day window has passed but the week still holds three sends.
    expect(await ask('person-cap', { at: new Date(now + 86_400_000) })).toMatchObject({ allowed: false, reason: 'frequency_cap', capPeriod: 'week' });
    expect(await ask('person-cap', { channel: 'email', purpose: sms.key, at: new Date(now) })).toMatchObject({ allowed: true });
    await expect(send('s-3', now, 'fax')).rejects.toMatchObject({ code: 'ACCORD_ERR_PREFERENCE_CHANNEL' });
    await expect(inTenant((trx) => recordContact(trx, { clientSendId: 's-1', subject: 'person-cap', channel: 'sms', sentAt: new Date(now) }))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH' });
  });

  it('filters a batch of subjects for a channel at an instant', async () => {
    await consent({ subject: 'b-ok' });
    await consent({ subject: 'b-out' });
    await change('b-out', { preferences: { channels: { sms: 'opt_out' } } });
    await consent({ subject: 'b-quiet' });
    await change('b-quiet', { preferences: { quietHours: { timeZone: 'Asia/Shanghai', start: '00:00', end: '23:59' } } });
    const at = new Date('2030-01-01T04:00:00Z'); // 12:00 in Shanghai
    const result = await inTenant((trx) => mayContactMany(trx, { subjects: ['b-ok', 'b-out', 'b-quiet', 'b-never-seen', 'b-ok'], channel: 'sms', purpose: sms.key, regime: 'pipl', at }));
    expect(result.allowed).toEqual(['b-ok']);
    expect(Object.fromEntries(result.denied.map((d) => [d.subject, d.reason]))).toEqual({ 'b-out': 'channel_opted_out', 'b-quiet': 'quiet_hours', 'b-never-seen': 'consent_denied' });
  });

  it('reports consent rates per purpose, channel and notice version, counting people and impressions once', async () => {
    const { db } = t;
    const other = await ensureTenant(db, 'report-tenant');
    const inOther = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(db, other.id, work);
    const v1 = await inOther(async (trx) => {
      await definePurpose(trx, sms);
      await definePurpose(trx, email);
      return publishNotice(trx, { noticeKey: 'marketing', language: 'zh-CN', content: 'v1', purposes: [sms.key, email.key], recipients: [], dataCategories: [] });
    });
    const base = Math.max(Date.now(), v1.createdAt.getTime());
    const at = (offset: number) => new Date(base + offset);
    const impression = (id: string, extra: { purposes?: string[]; channel?: string } = {}) =>
      inOther((trx) => recordNoticeImpression(trx, { clientImpressionId: id, noticeId: v1.id, channel: extra.channel ?? 'app', servedAt: at(0), purposes: extra.purposes }));
    for (let i = 0; i < 4; i++) await impression(`imp-${i}`);
    expect(await impression('imp-0')).toEqual({ duplicate: true }); // a retry does not count twice
    await impression('imp-web', { channel: 'web', purposes: [sms.key] });
    const event = (subject: string, kind: ConsentEventInput['kind'], offset: number, noticeId: string | undefined = v1.id) =>
      inOther((trx) => recordConsentEvent(trx, { clientEventId: `r-${++counter}`, subject, purpose: sms.key, regime: 'pipl', kind, noticeId, channel: 'app', source: 'banner', collectedAt: at(offset) }));
    await event('p1', 'given', 1);
    await event('p1', 'given', 2); // a repeat click with a fresh event id: still one person
    await event('p2', 'given', 3);
    await event('p3', 'refused', 4);
    await event('p2', 'withdrawn', 5, undefined); // counts against the notice and channel of p2's grant

    const rows = await inOther((trx) => consentRateReport(trx, { from: new Date(start - 60_000), to: at(3_600_000) }));
    expect(rows).toEqual([
      { purpose: email.key, channel: 'app', noticeId: v1.id, noticeKey: 'marketing', noticeVersion: 1, language: 'zh-CN', served: 4, given: 0, refused: 0, withdrawn: 0, consentRate: 0 },
      { purpose: sms.key, channel: 'app', noticeId: v1.id, noticeKey: 'marketing', noticeVersion: 1, language: 'zh-CN', served: 4, given: 2, refused: 1, withdrawn: 1, consentRate: 0.5 },
      { purpose: sms.key, channel: 'web', noticeId: v1.id, noticeKey: 'marketing', noticeVersion: 1, language: 'zh-CN', served: 1, given: 0, refused: 0, withdrawn: 0, consentRate: 0 },
    ]);
    expect(await inOther((trx) => consentRateReport(trx, { from: new Date(start - 60_000), to: at(3_600_000), purpose: email.key }))).toHaveLength(1);
    // Outside the range, and in another tenant, nothing.
    expect(await inOther((trx) => consentRateReport(trx, { from: new Date(start - 7_200_000), to: new Date(start - 3_600_000) }))).toEqual([]);
    expect((await inTenant((trx) => consentRateReport(trx, { from: new Date(start - 60_000), to: at(3_600_000) }))).some((row) => row.served > 0)).toBe(false);
    await expect(inOther((trx) => consentRateReport(trx, { from: at(0), to: at(-1) }))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_REPORT_RANGE' });
    await expect(impression('imp-0', { channel: 'web' })).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH' });
    await expect(inOther((trx) => recordNoticeImpression(trx, { clientImpressionId: 'imp-x', noticeId: v1.id, channel: 'app', servedAt: at(0), purposes: ['marketing.other'] }))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_NOTICE_SCOPE' });
  });
});
