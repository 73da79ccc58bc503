/**
 * Builds TC and GPP strings with the standards' own libraries, for tests. TC strings go through
 * @iabtcf/core's SegmentEncoder: TCString.encode refuses a model without a GVL (its semantic
 * pre-pass rewrites vendors and policy version from the GVL), and we want exact control of every
 * field, including the invalid ones.
 */
import { CompressedBase64UrlEncoder, FibonacciIntegerRangeEncoder, FixedIntegerEncoder, GppModel } from '@iabgpp/cmpapi';
import { Segment, SegmentEncoder, TCModel } from '@iabtcf/core';

export interface TcOptions {
  policyVersion?: number;
  isServiceSpecific?: boolean;
  created?: Date;
  purposeConsents?: number[];
  purposeLegitimateInterests?: number[];
  vendorConsents?: number[];
  /** null leaves the DisclosedVendors segment out. */
  vendorsDisclosed?: number[] | null;
}

export function buildTcString(options: TcOptions = {}): string {
  const model = new TCModel();
  model.cmpId = 300;
  model.cmpVersion = 2;
  model.vendorListVersion = 150;
  model.policyVersion = options.policyVersion ?? 4;
  model.isServiceSpecific = options.isServiceSpecific ?? true;
  model.publisherCountryCode = 'DE';
  model.created = options.created ?? new Date(Date.UTC(2025, 5, 1));
  model.lastUpdated = model.created;
  model.purposeConsents.set(options.purposeConsents ?? [1, 3, 4]);
  model.purposeLegitimateInterests.set(options.purposeLegitimateInterests ?? [2, 7]);
  model.vendorConsents.set(options.vendorConsents ?? [755]);
  const segments = [Segment.CORE];
  if (options.vendorsDisclosed !== null && options.vendorsDisclosed !== undefined) {
    model.vendorsDisclosed.set(options.vendorsDisclosed);
    segments.push(Segment.VENDORS_DISCLOSED);
  }
  return segments.map((segment) => SegmentEncoder.encode(model, segment)).join('.');
}

/** A GPP string with a usnat section, with the given fields set. */
export function buildUsnatGppString(fields: Record<string, unknown>): string {
  const model = new GppModel();
  for (const [name, value] of Object.entries(fields)) model.setFieldValue('usnat', name, value);
  return model.encode();
}

/** A GPP header (type 3, version 1) listing these section ids, encoded as the spec says. */
export function gppHeader(sectionIds: number[]): string {
  const bits = FixedIntegerEncoder.encode(3, 6) + FixedIntegerEncoder.encode(1, 6) + FibonacciIntegerRangeEncoder.encode(sectionIds);
  return CompressedBase64UrlEncoder.getInstance().encode(bits);
}
