/**
 * IAB GPP strings: a header section (id 3) and then one `~`-separated section per id the header
 * lists (IAB Tech Lab, "Consent String Specification", GPP v1). Sections are decoded with
 * @iabgpp/cmpapi (pinned; pure, runs in Node). That library silently drops section ids it does not
 * know and ignores a section count mismatch in some paths, so the header is decoded here first and
 * held strictly: type 3, version 1, every id known, one section per id, none empty.
 * Only opt-outs are taken from US sections (usnat, id 7, and the state sections 8-27): "did not opt
 * out" is never read as consent (reference/consent.md §4.4).
 */
import { CompressedBase64UrlEncoder, FibonacciIntegerRangeEncoder, FixedIntegerEncoder, GppModel, Sections } from '@iabgpp/cmpapi';
import { ConsentError } from '../consent-errors.ts';

export const usOptOutFields = ['sale', 'sharing', 'targetedAdvertising', 'sensitive'] as const;
export type UsOptOutField = (typeof usOptOutFields)[number];

export interface GppSignal {
  readonly sectionIds: number[];
  /** Each section's decoded fields, keyed by section name (usnat, usca, tcfeuv2, ...). */
  readonly sections: Record<string, Record<string, unknown>>;
  /** Opt-outs expressed in any US section. */
  readonly optOuts: Record<UsOptOutField, boolean>;
  /** The GPC sub-segment of a US section is set. */
  readonly gpc: boolean;
}

const HEADER_SECTION_ID = 3;
const HEADER_VERSION = 1;
const USNAT_SECTION_ID = 7;
const US_STATE_SECTION_IDS = { first: 8, last: 27 };
const USNAT_VERSIONS = [1, 2];
/** Core segment plus the optional GPC sub-segment. */
const USNAT_MAX_SEGMENTS = 2;
/** In US sections, 1 means "opted out" (usnat) or "no consent" (state sensitive-data fields). */
const OPTED_OUT = 1;
export const MAX_GPP_STRING_LENGTH = 65_536;

const malformed = (why: string) => new ConsentError('ACCORD_ERR_CONSENT_SIGNAL_MALFORMED', `GPP string: ${why}`);

function headerSectionIds(header: string): number[] {
  let bits: string;
  try {
    bits = CompressedBase64UrlEncoder.getInstance().decode(header);
  } catch {
    throw malformed('the header is not base64url');
  }
  if (bits.length < 24) throw malformed('the header is truncated');
  const type = FixedIntegerEncoder.decode(bits.substring(0, 6));
  if (type !== HEADER_SECTION_ID) throw malformed(`the first section has id ${type}, not the header (3)`);
  const version = FixedIntegerEncoder.decode(bits.substring(6, 12));
  if (version !== HEADER_VERSION) throw malformed(`header version ${version} is not supported`);
  let ids: number[];
  try {
    ids = FibonacciIntegerRangeEncoder.decode(bits.substring(12));
  } catch {
    throw malformed('the header section id list cannot be decoded');
  }
  const unknown = ids.filter((id) => !Number.isInteger(id) || !Sections.SECTION_ID_NAME_MAP.has(id));
  if (unknown.length > 0) throw malformed(`unknown section id ${unknown.join(', ')}`);
  if (new Set(ids).size !== ids.length) throw malformed('the header lists a section id twice');
  return ids;
}

const isUsSection = (id: number) => id === USNAT_SECTION_ID || (id >= US_STATE_SECTION_IDS.first && id <= US_STATE_SECTION_IDS.last);

export function decodeGppString(raw: string): GppSignal {
  if (raw.length === 0 || raw.length > MAX_GPP_STRING_LENGTH) throw malformed(`length must be 1 to ${MAX_GPP_STRING_LENGTH}`);
  if (!/^[A-Za-z0-9_.~-]+$/.test(raw)) throw malformed('contains characters outside base64url, "." and "~"');
  const [header, ...encodedSections] = raw.split('~');
  const sectionIds = headerSectionIds(header!);
  if (encodedSections.length !== sectionIds.length) throw malformed(`the header lists ${sectionIds.length} sections but ${encodedSections.length} follow`);
  encodedSections.forEach((section, index) => {
    if (section.split('.').some((segment) => segment === '')) throw malformed(`section ${sectionIds[index]} has an empty segment`);
    if (sectionIds[index] === USNAT_SECTION_ID && section.split('.').length > USNAT_MAX_SEGMENTS) throw malformed('usnat has more than a core and a GPC segment');
  });

  let sections: Record<string, Record<string, unknown>>;
  try {
    sections = new GppModel(raw).toObject() as Record<string, Record<string, unknown>>;
  } catch (error) {
    throw malformed(`cannot be decoded (${(error as Error).message})`);
  }
  const usnat = sections.usnat;
  if (usnat && !USNAT_VERSIONS.includes(usnat.Version as number)) throw malformed(`usnat version ${String(usnat.Version)} is not 1 or 2`);

  const optOuts: Record<UsOptOutField, boolean> = { sale: false, sharing: false, targetedAdvertising: false, sensitive: false };
  let gpc = false;
  for (const id of sectionIds.filter(isUsSection)) {
    const fields = sections[Sections.SECTION_ID_NAME_MAP.get(id)!] ?? {};
    optOuts.sale ||= fields.SaleOptOut === OPTED_OUT;
    optOuts.sharing ||= fields.SharingOptOut === OPTED_OUT;
    optOuts.targetedAdvertising ||= fields.TargetedAdvertisingOptOut === OPTED_OUT;
    optOuts.sensitive ||= Array.isArray(fields.SensitiveDataProcessing) && fields.SensitiveDataProcessing.includes(OPTED_OUT);
    gpc ||= fields.Gpc === true;
  }
  return { sectionIds, sections, optOuts, gpc };
}
