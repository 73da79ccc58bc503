/**
 * IAB TCF v2.2 / v2.3 TC strings: decoded with @iabtcf/core (pinned), then held to the policy rules
 * the library does not enforce (reference/consent.md §3.1, failure mode 25):
 * - IsServiceSpecific must be 1 (the spec calls a global-scope string invalid);
 * - TcfPolicyVersion must be at least 4 (v2.2; v2.3 is 5);
 * - purposes 3 to 6 may not rest on legitimate interest (v2.2);
 * - a string created after 2026-02-28, or carrying policy version 5+, must have the DisclosedVendors
 *   segment (v2.3), and a vendor that was not disclosed counts as not consented.
 * Created/LastUpdated are day-level by design, so they are kept as facts about the string, never as
 * the consent's event time.
 */
import { TCString, type TCModel } from '@iabtcf/core';
import { ConsentError } from '../consent-errors.ts';

export interface TcSignal {
  /** "2.2" or "2.3", from the policy version. */
  readonly tcfVersion: '2.2' | '2.3';
  readonly policyVersion: number;
  readonly created: string;
  readonly lastUpdated: string;
  readonly cmpId: number;
  readonly cmpVersion: number;
  readonly consentLanguage: string;
  readonly vendorListVersion: number;
  readonly publisherCountryCode: string;
  readonly purposeConsents: number[];
  readonly purposeLegitimateInterests: number[];
  readonly specialFeatureOptins: number[];
  /** Vendor consents that count: with DisclosedVendors present, only disclosed vendors. */
  readonly vendorConsents: number[];
  /** Vendors the string marks as consented but never disclosed to the person: counted as not consented. */
  readonly undisclosedVendorConsents: number[];
  readonly vendorsDisclosed: number[] | null;
  readonly segments: TcSegmentName[];
}

type TcSegmentName = 'core' | 'vendorsDisclosed' | 'vendorsAllowed' | 'publisherTC';

/** The first three bits of every segment after the core name its type (TCF v2 "Segment Type"). */
const SEGMENT_TYPES: Record<number, TcSegmentName> = { 1: 'vendorsDisclosed', 2: 'vendorsAllowed', 3: 'publisherTC' };
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Strings created after 28 Feb 2026 must carry DisclosedVendors (TCF v2.3 transition). */
const DISCLOSED_VENDORS_REQUIRED_FROM = Date.UTC(2026, 2, 1);
const NO_LEGITIMATE_INTEREST_PURPOSES = [3, 4, 5, 6];
export const MAX_TC_STRING_LENGTH = 65_536;

const malformed = (why: string) => new ConsentError('ACCORD_ERR_CONSENT_SIGNAL_MALFORMED', `TC string: ${why}`);
const rejected = (why: string) => new ConsentError('ACCORD_ERR_CONSENT_SIGNAL_REJECTED', `TC string: ${why}`);
const idsOf = (vector: TCModel['purposeConsents']) => [...vector.values()].sort((a, b) => a - b);

function segmentNames(raw: string): TcSegmentName[] {
  const parts = raw.split('.');
  const names: TcSegmentName[] = ['core'];
  for (const part of parts.slice(1)) {
    if (!BASE64URL.test(part)) throw malformed('a segment is empty or not base64url');
    const name = SEGMENT_TYPES[BASE64URL_ALPHABET.indexOf(part[0]!) >> 3];
    if (!name) throw malformed('a segment has an unknown segment type');
    if (names.includes(name)) throw malformed(`segment ${name} appears twice`);
    names.push(name);
  }
  return names;
}

export function decodeTcString(raw: string): TcSignal {
  if (raw.length === 0 || raw.length > MAX_TC_STRING_LENGTH) throw malformed(`length must be 1 to ${MAX_TC_STRING_LENGTH}`);
  if (!raw.split('.').every((part) => BASE64URL.test(part))) throw malformed('not dot-separated base64url (no padding, no + or /)');
  // The core segment opens with the 6-bit Version field; 2 encodes as "C".
  if (raw[0] !== 'C') throw malformed('not a TCF v2 string (the Version field is not 2)');
  const segments = segmentNames(raw);
  let model: TCModel;
  try {
    model = TCString.decode(raw);
  } catch (error) {
    throw malformed(`cannot be decoded (${(error as Error).message})`);
  }
  if (!model.isServiceSpecific) throw rejected('IsServiceSpecific is 0; global-scope TC strings are invalid');
  const policyVersion = Number(model.policyVersion);
  if (policyVersion < 4) throw rejected(`TcfPolicyVersion ${policyVersion} is below 4 (TCF v2.2)`);
  const purposeLegitimateInterests = idsOf(model.purposeLegitimateInterests);
  const liOnRestricted = [...purposeLegitimateInterests, ...idsOf(model.publisherLegitimateInterests)].filter((id) => NO_LEGITIMATE_INTEREST_PURPOSES.includes(id));
  if (liOnRestricted.length > 0) throw rejected(`purposes ${[...new Set(liOnRestricted)].join(', ')} may not rely on legitimate interest (TCF v2.2)`);
  const created = model.created.getTime();
  const hasDisclosed = segments.includes('vendorsDisclosed');
  if (!hasDisclosed && created >= DISCLOSED_VENDORS_REQUIRED_FROM) throw rejected('created after 2026-02-28 without the DisclosedVendors segment (TCF v2.3)');
  if (!hasDisclosed && policyVersion >= 5) throw rejected(`TcfPolicyVersion ${policyVersion} (TCF v2.3) needs the DisclosedVendors segment`);

  const consented = idsOf(model.vendorConsents);
  const disclosed = hasDisclosed ? new Set(idsOf(model.vendorsDisclosed)) : null;
  return {
    tcfVersion: policyVersion >= 5 ? '2.3' : '2.2',
    policyVersion,
    created: model.created.toISOString(),
    lastUpdated: model.lastUpdated.toISOString(),
    cmpId: Number(model.cmpId),
    cmpVersion: Number(model.cmpVersion),
    consentLanguage: model.consentLanguage,
    vendorListVersion: Number(model.vendorListVersion),
    publisherCountryCode: model.publisherCountryCode,
    purposeConsents: idsOf(model.purposeConsents),
    purposeLegitimateInterests,
    specialFeatureOptins: idsOf(model.specialFeatureOptins),
    vendorConsents: disclosed ? consented.filter((id) => disclosed.has(id)) : consented,
    undisclosedVendorConsents: disclosed ? consented.filter((id) => !disclosed.has(id)) : [],
    vendorsDisclosed: disclosed && [...disclosed],
    segments,
  };
}
