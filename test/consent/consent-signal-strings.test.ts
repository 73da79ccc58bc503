import { describe, expect, it } from 'vitest';
import { decodeGppString } from '../../consent/signals/gpp-string.ts';
import { gpcFromHeader } from '../../consent/signals/gpc-signal.ts';
import { checkMappingEntries, optOutDecisions, tcfDecisions, type SignalMappingEntry } from '../../consent/signals/signal-mapping.ts';
import { decodeTcString } from '../../consent/signals/tcf-string.ts';
import { buildTcString, buildUsnatGppString, gppHeader } from '../support/consent-signal-strings.ts';

const afterCutoff = new Date(Date.UTC(2026, 2, 2));
const reasonOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a rejection');
};

describe('TC strings', () => {
  it('decodes a TCF v2.2 string (policy 4, before the v2.3 cut-off, no DisclosedVendors)', () => {
    const tc = decodeTcString(buildTcString());
    expect(tc).toMatchObject({
      tcfVersion: '2.2',
      policyVersion: 4,
      created: '2025-06-01T00:00:00.000Z',
      cmpId: 300,
      purposeConsents: [1, 3, 4],
      purposeLegitimateInterests: [2, 7],
      vendorConsents: [755],
      vendorsDisclosed: null,
      segments: ['core'],
    });
  });

  it('decodes a TCF v2.3 string and counts an undisclosed vendor as not consented', () => {
    const tc = decodeTcString(buildTcString({ policyVersion: 5, created: afterCutoff, vendorConsents: [42, 755], vendorsDisclosed: [42, 99] }));
    expect(tc).toMatchObject({ tcfVersion: '2.3', segments: ['core', 'vendorsDisclosed'], vendorConsents: [42], undisclosedVendorConsents: [755], vendorsDisclosed: [42, 99] });
  });

  it.each([
    ['IsServiceSpecific=0', { isServiceSpecific: false }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED', /IsServiceSpecific is 0/],
    ['policy version below 4', { policyVersion: 3 }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED', /TcfPolicyVersion 3 is below 4/],
    ['legitimate interest on purposes 3-6', { purposeLegitimateInterests: [2, 4, 6] }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED', /purposes 4, 6 may not rely on legitimate interest/],
    ['created after 2026-02-28 without DisclosedVendors', { created: afterCutoff }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED', /created after 2026-02-28 without the DisclosedVendors/],
    ['policy version 5 without DisclosedVendors', { policyVersion: 5 }, 'ACCORD_ERR_CONSENT_SIGNAL_REJECTED', /needs the DisclosedVendors/],
  ])('rejects %s', (_name, options, code, message) => {
    expect(reasonOf(() => decodeTcString(buildTcString(options)))).toMatchObject({ code, message: expect.stringMatching(message) });
  });

  it('rejects truncated, wrongly encoded and foreign strings as malformed', () => {
    const valid = buildTcString({ policyVersion: 5, created: afterCutoff, vendorsDisclosed: [755] });
    const [core] = valid.split('.');
    for (const bad of [core!.slice(0, 20), core!.slice(0, -12), core!.replaceAll('A', '+'), `${core}==`, `${core}.`, `${core}.${core}`, 'BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA', '']) {
      expect(reasonOf(() => decodeTcString(bad)).code, bad).toBe('ACCORD_ERR_CONSENT_SIGNAL_MALFORMED');
    }
  });
});

describe('GPP strings', () => {
  it('decodes the header and usnat with its GPC sub-segment', () => {
    const gpp = decodeGppString(buildUsnatGppString({ SaleOptOut: 1, SharingOptOut: 2, SensitiveDataProcessing: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], Gpc: true }));
    expect(gpp).toMatchObject({ sectionIds: [7], optOuts: { sale: true, sharing: false, targetedAdvertising: false, sensitive: true }, gpc: true });
    expect(gpp.sections.usnat).toMatchObject({ Version: 2, SaleOptOut: 1, Gpc: true });
  });

  it('reads the spec examples: "did not opt out" is no opt-out, and a tcfeuv2 + uspv1 string decodes', () => {
    expect(decodeGppString('DBABLA~BVQqAAAAAgA.QA')).toMatchObject({ sectionIds: [7], optOuts: { sale: false, sharing: false }, gpc: false });
    expect(decodeGppString('DBACNYA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN').sectionIds).toEqual([2, 6]);
  });

  it.each([
    ['an unknown section id', `${gppHeader([99])}~CAAUAAAAAABA`, /unknown section id 99/],
    ['fewer sections than the header lists', gppHeader([7]), /lists 1 sections but 0 follow/],
    ['a truncated usnat section', `${gppHeader([7])}~CAAU`, /cannot be decoded/],
    ['a header that is not a header', 'XBABLA~CAAUAAAAAABA', /not the header/],
    ['characters outside base64url', 'DBABLA~CAAU+AAAAABA', /outside base64url/],
    ['an empty GPC sub-segment', 'DBABLA~CAAUAAAAAABA.', /empty segment/],
    ['an empty string', '', /length/],
  ])('rejects %s', (_name, raw, message) => {
    expect(reasonOf(() => decodeGppString(raw))).toMatchObject({ code: 'ACCORD_ERR_CONSENT_SIGNAL_MALFORMED', message: expect.stringMatching(message) });
  });
});

describe('GPC and the mapping', () => {
  it('reads only "Sec-GPC: 1" as a signal', () => {
    expect([gpcFromHeader('1'), gpcFromHeader(' 1 '), gpcFromHeader('0'), gpcFromHeader(undefined), gpcFromHeader(['1', '1'])]).toEqual([true, true, false, false, false]);
  });

  const entry = (overrides: Partial<SignalMappingEntry>): SignalMappingEntry => ({
    purpose: 'ads.personalised', recipient: '', tcfPurposes: [], tcfVendorId: null, gppUsnat: [], googleConsentMode: [], dpvPurpose: null, ...overrides,
  });

  it('grants a TCF-mapped purpose only with every mapped purpose and the vendor', () => {
    const mapping = [entry({ tcfPurposes: [1, 4] }), entry({ purpose: 'ads.upload', recipient: 'google', tcfPurposes: [1], tcfVendorId: 755 }), entry({ purpose: 'ads.measure', tcfPurposes: [1, 9] })];
    const decisions = tcfDecisions(mapping, decodeTcString(buildTcString({ policyVersion: 5, created: afterCutoff, vendorConsents: [755], vendorsDisclosed: [1] })));
    expect(decisions.map((d) => [d.purpose, d.grants, d.basis])).toEqual([
      ['ads.personalised', true, 'consent for TCF purpose 1, 4'],
      ['ads.upload', false, 'vendor 755 was not disclosed, so it counts as not consented'],
      ['ads.measure', false, 'no consent for TCF purpose 9'],
    ]);
  });

  it('turns opt-outs into denials only for mapped fields', () => {
    const mapping = [entry({ gppUsnat: ['sale'] }), entry({ purpose: 'ads.targeting', gppUsnat: ['targetedAdvertising'] })];
    expect(optOutDecisions(mapping, new Set(['sale', 'sharing']), 'gpc')).toEqual([{ purpose: 'ads.personalised', recipient: '', grants: false, signal: 'gpc', basis: 'opted out of sale' }]);
  });

  it('refuses a bad mapping', () => {
    expect(reasonOf(() => checkMappingEntries([entry({ tcfPurposes: [12] })])).message).toMatch(/TCF purpose 12 is not 1 to 11/);
    expect(reasonOf(() => checkMappingEntries([entry({}), entry({})])).message).toMatch(/mapped twice/);
    expect(reasonOf(() => checkMappingEntries([entry({ dpvPurpose: 'http://example.com/ads' })])).message).toMatch(/DPV purpose/);
  });
});
