import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { buildTcString, buildUsnatGppString, gppHeader } from '../support/consent-signal-strings.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

const afterCutoff = new Date(Date.UTC(2026, 2, 2));

const mappingEntries = [
  { purpose: 'ads.personalised', tcfPurposes: [1, 3, 4], gppUsnat: ['targetedAdvertising'], googleConsentMode: ['ad_personalization'], dpvPurpose: 'https://w3id.org/dpv#PersonalisedAdvertising' },
  { purpose: 'ads.upload', recipient: 'google', tcfPurposes: [1], tcfVendorId: 755, gppUsnat: ['sale', 'sharing'], googleConsentMode: ['ad_user_data'], dpvPurpose: 'https://w3id.org/dpv#Advertising' },
];

describe.each(storageBackends)('consent signals API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let tenantId: string;
  let officer: string;
  let collector: string;
  let reader: string;
  let noticeId: string;
  // Collection times move forward a second per use, starting after the notice was published.
  let clock = 0;
  const nextTime = () => new Date((clock += 1_000)).toISOString();

  const post = (token: string, url: string, body: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'POST', url, payload: body as object, headers: { ...bearer(token), ...headers } });
  const signal = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    post(collector, '/v1/consent/signals', { regime: 'gdpr', source: 'www.brand.example', collectedAt: nextTime(), ...body }, headers);
  const gate = async (subject: string, purpose: string, regime: string, recipient?: string) =>
    (await post(reader, '/v1/consent/check', { subject, purpose, regime, ...(recipient ? { recipient } : {}) })).json();
  const consentMode = async (subject: string, destination = 'google', regime = 'gdpr') =>
    (await api.app.inject({ url: `/v1/consent/google-consent-mode?subject=${subject}&destination=${destination}&regime=${regime}`, headers: bearer(reader) })).json();
  const ledgerOf = (subject: string) =>
    withTenant(t.db, tenantId, (trx) => trx.selectFrom('consent_events').select(['seq', 'purpose', 'recipient', 'kind', 'channel', 'source', 'evidence']).where('subject', '=', subject).orderBy('seq').execute());
  const signalCount = () => withTenant(t.db, tenantId, async (trx) => (await trx.selectFrom('consent_signals').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const officerKey = await api.keyFor('brand', ['privacy:admin']);
    officer = officerKey.token;
    tenantId = officerKey.tenantId;
    collector = (await api.keyFor('brand', ['consent:write'])).token;
    reader = (await api.keyFor('brand', ['consent:read'])).token;
    for (const purpose of [
      { key: 'ads.personalised', name: 'Personalised advertising', mechanism: 'opt_in', legalBasis: { gdpr: 'consent', ccpa: 'opt_out' } },
      { key: 'ads.upload', name: 'Customer Match upload', mechanism: 'opt_in', legalBasis: { gdpr: 'consent', ccpa: 'opt_out' }, requiresNamedRecipient: true },
    ]) {
      expect((await post(officer, '/v1/consent/purposes', purpose)).statusCode).toBe(201);
    }
    const notice = await post(officer, '/v1/consent/notices', {
      noticeKey: 'cmp', language: 'en', content: 'We and Google use your data for personalised ads.', purposes: ['ads.personalised', 'ads.upload'], recipients: ['google'],
    });
    noticeId = notice.json().id;
    clock = Date.now() + 1_000;
    const published = await post(officer, '/v1/consent/signal-mappings', { entries: mappingEntries });
    expect(published.statusCode).toBe(201);
    expect(published.json()).toMatchObject({ version: 1, entries: [{ purpose: 'ads.personalised', recipient: '', tcfVendorId: null }, { purpose: 'ads.upload', recipient: 'google' }] });
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('versions and audits the mapping, for privacy officers only', async () => {
    expect((await post(collector, '/v1/consent/signal-mappings', { entries: mappingEntries })).statusCode).toBe(403);
    const badPurpose = await post(officer, '/v1/consent/signal-mappings', { entries: [{ ...mappingEntries[0], tcfPurposes: [12] }] });
    expect(badPurpose.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_INVALID' });
    const noRecipient = await post(officer, '/v1/consent/signal-mappings', { entries: [{ ...mappingEntries[1], recipient: '' }] });
    expect(noRecipient.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_RECIPIENT' });
    const republished = await post(officer, '/v1/consent/signal-mappings', { entries: mappingEntries });
    expect(republished.json().version).toBe(2);
    const current = await api.app.inject({ url: '/v1/consent/signal-mappings/current', headers: bearer(reader) });
    expect(current.json()).toMatchObject({ version: 2, entries: [{ purpose: 'ads.personalised', tcfPurposes: [1, 3, 4], dpvPurpose: 'https://w3id.org/dpv#PersonalisedAdvertising' }, { purpose: 'ads.upload' }] });
    const audit = await withTenant(t.db, tenantId, (trx) => trx.selectFrom('audit_events').select(['action', 'target_id']).where('action', '=', 'consent.signal_mapping.published').orderBy('id').execute());
    expect(audit).toEqual([{ action: 'consent.signal_mapping.published', target_id: '1' }, { action: 'consent.signal_mapping.published', target_id: '2' }]);
  });

  it('records a TCF v2.2 string as grants, keeping the raw string, summary and verdict', async () => {
    const tcString = buildTcString();
    const recorded = await signal({ subject: 'tc22', tcString, noticeId });
    expect(recorded.statusCode).toBe(201);
    const [stored] = recorded.json().signals;
    expect(stored).toMatchObject({ kind: 'tcf', duplicate: false, verdict: { valid: true, standard: 'TCF 2.2' } });
    expect(stored.events.map((e: { purpose: string; kind: string }) => [e.purpose, e.kind])).toEqual([['ads.personalised', 'given'], ['ads.upload', 'given']]);
    expect(await gate('tc22', 'ads.upload', 'gdpr', 'google')).toMatchObject({ allowed: true, reason: 'granted' });
    const row = await withTenant(t.db, tenantId, (trx) => trx.selectFrom('consent_signals').selectAll().where('id', '=', stored.id).executeTakeFirstOrThrow());
    expect(row).toMatchObject({ raw: tcString, kind: 'tcf', mapping_version: 2, decoded: { policyVersion: 4, created: '2025-06-01T00:00:00.000Z', purposeConsents: [1, 3, 4] } });
    expect((await ledgerOf('tc22'))[0]).toMatchObject({ channel: 'tcf', source: 'www.brand.example', evidence: { signalId: stored.id, mappingVersion: '2' } });
  });

  it('records a TCF v2.3 string, where an undisclosed vendor counts as not consented', async () => {
    const tcString = buildTcString({ policyVersion: 5, created: afterCutoff, vendorConsents: [755], vendorsDisclosed: [42] });
    const [stored] = (await signal({ subject: 'tc23', tcString, noticeId })).json().signals;
    expect(stored.verdict).toEqual({ valid: true, standard: 'TCF 2.3', notes: ['vendors 755 were not disclosed and count as not consented'] });
    expect(stored.events.map((e: { purpose: string; kind: string }) => [e.purpose, e.kind])).toEqual([['ads.personalised', 'given'], ['ads.upload', 'refused']]);
    expect(await gate('tc23', 'ads.upload', 'gdpr', 'google')).toMatchObject({ allowed: false, reason: 'denied' });
  });

  it.each([
    ['IsServiceSpecific=0', { isServiceSpecific: false }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED'],
    ['policy version 3', { policyVersion: 3 }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED'],
    ['legitimate interest on purpose 5', { purposeLegitimateInterests: [5] }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED'],
    ['no DisclosedVendors after 2026-02-28', { created: afterCutoff }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED'],
  ])('rejects a TC string with %s and records nothing, not even the GPC sent along', async (_name, options, code) => {
    const before = await signalCount();
    const refused = await signal({ subject: 'bad-tc', tcString: buildTcString(options), noticeId, gpc: true });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code });
    expect(await signalCount()).toBe(before);
    expect(await ledgerOf('bad-tc')).toEqual([]);
  });

  it('rejects truncated and non-base64url TC strings, and grants without a notice, atomically', async () => {
    const valid = buildTcString();
    for (const tcString of [valid.slice(0, 25), valid.replaceAll('A', '/')]) {
      const refused = await signal({ subject: 'bad-tc', tcString, noticeId });
      expect(refused.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_SIGNAL_MALFORMED', detail: expect.stringMatching(/^TC string: /) });
    }
    // Decodes fine, so the signal row is written before the grant fails: the whole request rolls back.
    const before = await signalCount();
    const withoutNotice = await signal({ subject: 'bad-tc', tcString: valid });
    expect(withoutNotice.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE' });
    expect(await signalCount()).toBe(before);
    expect(await ledgerOf('bad-tc')).toEqual([]);
  });

  it('records GPP usnat opt-outs as refusals and rejects malformed strings and unknown sections', async () => {
    const gppString = buildUsnatGppString({ SaleOptOut: 1, SharingOptOut: 2, TargetedAdvertisingOptOut: 2 });
    const [stored] = (await signal({ subject: 'gpp-person', regime: 'ccpa', gppString })).json().signals;
    expect(stored).toMatchObject({ kind: 'gpp', verdict: { standard: 'GPP v1' } });
    expect(stored.events).toEqual([expect.objectContaining({ purpose: 'ads.upload', recipient: 'google', kind: 'refused' })]);
    expect(await gate('gpp-person', 'ads.upload', 'ccpa', 'google')).toMatchObject({ allowed: false, reason: 'denied' });
    // Not opted out of targeted advertising: no event, the opt-out default stands.
    expect(await gate('gpp-person', 'ads.personalised', 'ccpa')).toMatchObject({ allowed: true, reason: 'opt_out_default' });

    for (const [raw, message] of [[`${gppHeader([99])}~CAAUAAAAAABA`, /unknown section id 99/], [`${gppHeader([7])}~CAAU`, /cannot be decoded/]] as const) {
      const refused = await signal({ subject: 'bad-gpp', regime: 'ccpa', gppString: raw });
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_SIGNAL_MALFORMED', detail: expect.stringMatching(message) });
    }
    expect(await ledgerOf('bad-gpp')).toEqual([]);
  });

  it('lets a GPC signal override a stored opt-in (CCPA regs §7025(c)(3)) and records it as coming from GPC', async () => {
    const optIn = await post(collector, '/v1/consent/events', {
      clientEventId: 'optin-gpc-person', subject: 'gpc-person', purpose: 'ads.upload', recipient: 'google', regime: 'ccpa', kind: 'given', noticeId, channel: 'web', source: 'signup', collectedAt: nextTime(),
    });
    expect(optIn.statusCode).toBe(201);
    expect(await gate('gpc-person', 'ads.upload', 'ccpa', 'google')).toMatchObject({ allowed: true, reason: 'granted' });

    const [stored] = (await signal({ subject: 'gpc-person', regime: 'ccpa' }, { 'sec-gpc': '1' })).json().signals;
    expect(stored).toMatchObject({ kind: 'gpc', verdict: { standard: 'GPC', notes: ['received as the Sec-GPC: 1 header'] } });
    expect(stored.events).toEqual([expect.objectContaining({ purpose: 'ads.upload', kind: 'withdrawn' })]);
    expect(await gate('gpc-person', 'ads.upload', 'ccpa', 'google')).toMatchObject({ allowed: false, reason: 'denied' });
    expect((await ledgerOf('gpc-person')).at(-1)).toMatchObject({ kind: 'withdrawn', channel: 'gpc', evidence: { signalStandard: 'GPC', basis: 'opted out of sale, sharing' } });

    const noSignal = await signal({ subject: 'gpc-person', regime: 'ccpa' }, { 'sec-gpc': '0' });
    expect(noSignal.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_INVALID' });
  });

  it('treats a resubmission of the same signals as the same events', async () => {
    const body = { subject: 'retry', tcString: buildTcString(), gppString: buildUsnatGppString({ SaleOptOut: 1 }), noticeId, collectedAt: nextTime() };
    const first = await signal(body);
    expect(first.statusCode).toBe(201);
    const events = await ledgerOf('retry');
    const again = await signal(body);
    expect(again.statusCode).toBe(201);
    expect(again.json().signals.map((s: { duplicate: boolean }) => s.duplicate)).toEqual([true, true]);
    expect(again.json().signals.map((s: { id: string; events: unknown }) => [s.id, s.events])).toEqual(first.json().signals.map((s: { id: string; events: unknown }) => [s.id, s.events]));
    expect(await ledgerOf('retry')).toEqual(events);
  });

  it('exports Google Consent Mode from the ledger: granted, denied and missing', async () => {
    expect(await consentMode('tc22')).toEqual({ subject: 'tc22', destination: 'google', ad_user_data: 'GRANTED', ad_personalization: 'GRANTED', mappingVersion: 2 });
    expect(await consentMode('tc23')).toMatchObject({ ad_user_data: 'DENIED', ad_personalization: 'GRANTED' });
    expect(await consentMode('never-seen')).toMatchObject({ ad_user_data: 'DENIED', ad_personalization: 'DENIED' });
    // No mapping names another destination for ad_user_data; ad_personalization has no recipient.
    expect(await consentMode('tc22', 'meta')).toMatchObject({ ad_user_data: 'DENIED', ad_personalization: 'GRANTED' });
    // Under CCPA's opt-out default nothing was granted explicitly: still DENIED.
    expect(await consentMode('gpp-person', 'google', 'ccpa')).toMatchObject({ ad_user_data: 'DENIED', ad_personalization: 'DENIED' });

    const split = await post(reader, '/v1/consent/google-consent-mode/partitions', { subjects: ['tc22', 'tc23', 'never-seen', 'tc22'], destination: 'google', regime: 'gdpr' });
    expect(split.json()).toEqual({
      mappingVersion: 2,
      partitions: [
        { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED', subjects: ['tc22'] },
        { ad_user_data: 'DENIED', ad_personalization: 'GRANTED', subjects: ['tc23'] },
        { ad_user_data: 'DENIED', ad_personalization: 'DENIED', subjects: ['never-seen'] },
      ],
    });
  });
});
