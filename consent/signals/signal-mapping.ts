/**
 * The tenant's table from internal purposes to the outside vocabularies (reference/consent.md §3.6):
 * TCF purpose ids (and the TCF vendor id of a named recipient), GPP US opt-out fields, Google
 * Consent Mode signals, and a W3C DPV purpose IRI. Signals become ledger decisions only through it,
 * so a purpose nobody mapped is never touched by a signal.
 */
import { ConsentError } from '../consent-errors.ts';
import { usOptOutFields, type UsOptOutField } from './gpp-string.ts';
import type { TcSignal } from './tcf-string.ts';

export const consentModeSignals = ['ad_user_data', 'ad_personalization'] as const;
export type ConsentModeSignal = (typeof consentModeSignals)[number];

export interface SignalMappingEntry {
  readonly purpose: string;
  /** The named recipient ('' when the purpose names none); for Consent Mode, the destination. */
  readonly recipient: string;
  readonly tcfPurposes: number[];
  /** The recipient's TCF vendor id: a TC grant then also needs that vendor's consent. */
  readonly tcfVendorId: number | null;
  readonly gppUsnat: UsOptOutField[];
  readonly googleConsentMode: ConsentModeSignal[];
  readonly dpvPurpose: string | null;
}

export type SignalKind = 'tcf' | 'gpp' | 'gpc';

/** What one signal says about one mapped (purpose, recipient). */
export interface SignalDecision {
  readonly purpose: string;
  readonly recipient: string;
  readonly grants: boolean;
  readonly signal: SignalKind;
  /** Why, in words a privacy officer can check against the string. */
  readonly basis: string;
}

/** TCF v2.2 defines purposes 1 to 11. */
const TCF_PURPOSES = { min: 1, max: 11 };
const DPV_PREFIX = 'https://w3id.org/dpv';

const invalid = (why: string) => new ConsentError('ACCORD_ERR_CONSENT_INVALID', `signal mapping: ${why}`);

export function checkMappingEntries(entries: readonly SignalMappingEntry[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    const key = `${entry.purpose} / ${entry.recipient || '(no recipient)'}`;
    if (seen.has(key)) throw invalid(`${key} is mapped twice`);
    seen.add(key);
    const badPurpose = entry.tcfPurposes.find((id) => !Number.isInteger(id) || id < TCF_PURPOSES.min || id > TCF_PURPOSES.max);
    if (badPurpose !== undefined) throw invalid(`${key}: TCF purpose ${badPurpose} is not 1 to 11`);
    if (entry.tcfVendorId !== null && (!Number.isInteger(entry.tcfVendorId) || entry.tcfVendorId < 1)) throw invalid(`${key}: TCF vendor id must be a positive integer`);
    if (entry.tcfVendorId !== null && entry.tcfPurposes.length === 0) throw invalid(`${key}: a TCF vendor id needs TCF purposes`);
    if (entry.gppUsnat.some((field) => !usOptOutFields.includes(field))) throw invalid(`${key}: GPP fields are ${usOptOutFields.join(', ')}`);
    if (entry.googleConsentMode.some((signal) => !consentModeSignals.includes(signal))) throw invalid(`${key}: Consent Mode signals are ${consentModeSignals.join(', ')}`);
    if (entry.dpvPurpose !== null && !entry.dpvPurpose.startsWith(DPV_PREFIX)) throw invalid(`${key}: DPV purpose must be an IRI under ${DPV_PREFIX}`);
  }
}

/** A TC string grants a mapped purpose when every mapped TCF purpose, and the mapped vendor, has consent. */
export function tcfDecisions(mapping: readonly SignalMappingEntry[], tc: TcSignal): SignalDecision[] {
  const consentedVendors = new Set(tc.vendorConsents);
  return mapping
    .filter((entry) => entry.tcfPurposes.length > 0)
    .map((entry) => {
      const missing = entry.tcfPurposes.filter((id) => !tc.purposeConsents.includes(id));
      const vendorMissing = entry.tcfVendorId !== null && !consentedVendors.has(entry.tcfVendorId);
      const undisclosed = entry.tcfVendorId !== null && tc.undisclosedVendorConsents.includes(entry.tcfVendorId);
      const basis = missing.length > 0
        ? `no consent for TCF purpose ${missing.join(', ')}`
        : undisclosed ? `vendor ${entry.tcfVendorId} was not disclosed, so it counts as not consented`
        : vendorMissing ? `no consent for vendor ${entry.tcfVendorId}`
        : `consent for TCF purpose ${entry.tcfPurposes.join(', ')}${entry.tcfVendorId !== null ? ` and vendor ${entry.tcfVendorId}` : ''}`;
      return { purpose: entry.purpose, recipient: entry.recipient, grants: missing.length === 0 && !vendorMissing, signal: 'tcf', basis };
    });
}

/** GPP and GPC only ever deny: each mapped purpose with an opted-out field gets a denial. */
export function optOutDecisions(mapping: readonly SignalMappingEntry[], optedOut: ReadonlySet<UsOptOutField>, signal: 'gpp' | 'gpc'): SignalDecision[] {
  return mapping.flatMap((entry) => {
    const fields = entry.gppUsnat.filter((field) => optedOut.has(field));
    return fields.length === 0 ? [] : [{ purpose: entry.purpose, recipient: entry.recipient, grants: false, signal, basis: `opted out of ${fields.join(', ')}` }];
  });
}
