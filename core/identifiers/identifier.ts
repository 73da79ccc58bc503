/**
 * What a normaliser returns: the canonical identifier, or a stable reason code with a detail for
 * people. Ingest writes the code into its per-row error report, so codes are only ever added.
 * `Identifier` is branded: the store takes only values a normaliser (or the store itself) made.
 */
import type { IdentifierType } from './identifier-types.ts';

declare const canonical: unique symbol;

export interface Identifier {
  readonly type: IdentifierType;
  /** The issuer (app id, shop) for scoped types; absent otherwise. */
  readonly scope?: string | undefined;
  /** Canonical form: what the lookup hash, sealing and every per-platform hash start from. */
  readonly value: string;
  readonly [canonical]: true;
}

export const rejectionReasons = {
  unknown_type: 'Not an identifier type Accord knows',
  value_not_text: 'The value is not text',
  value_empty: 'The value is empty',
  value_too_long: 'The value is too long',
  scope_required: 'This type is only unique within an app or shop: give its scope',
  scope_not_allowed: 'This type takes no scope',
  scope_malformed: 'The scope is not 1-128 printable ASCII characters',
  email_non_ascii: 'The email address has characters outside ASCII',
  email_whitespace: 'The email address has whitespace inside',
  email_at_sign: 'The email address needs exactly one @',
  email_local_part: 'The part before @ is not a valid mailbox name',
  email_domain: 'The part after @ is not a valid domain',
  email_too_long: 'The email address is longer than 254 characters',
  phone_region: 'The default region is not a known ISO 3166 country code',
  phone_malformed: 'The phone number has characters other than digits, a leading + and separators',
  phone_excel_scientific: 'The phone number was turned into scientific notation by a spreadsheet',
  phone_excel_decimal: 'The phone number was turned into a decimal by a spreadsheet',
  phone_lost_leading_zero: 'The phone number lost its leading 00 international prefix',
  phone_invalid: 'Not a valid phone number',
  phone_not_mobile: 'Not a mobile number (landline, service or unallocated number)',
  idfa_format: 'An IDFA is a UUID with hyphens',
  idfa_limit_ad_tracking: 'All-zero IDFA: the user limited ad tracking',
  oaid_format: 'An OAID is a UUID or 16 or 64 hex digits',
  oaid_all_zero: 'All-zero OAID: the user limited ad tracking',
  imei_format: 'An IMEI has 14 or 15 digits',
  imei_luhn: 'The IMEI check digit is wrong',
  imei_all_zero: 'All-zero IMEI: not a real device',
  android_id_format: 'An Android ID has 16 hex digits',
  android_id_shared: 'This Android ID is shared by many devices',
  platform_id_format: 'A platform user id is 1-128 printable ASCII characters',
  member_id_format: 'A member id is 1-128 characters without control or invisible characters',
  hash_not_hex: 'A declared hash is hex digits only',
  hash_length_mismatch: 'The value does not have the length of the declared hash',
  hash_of_empty: 'This is the hash of an empty string',
} as const;

export type RejectionReason = keyof typeof rejectionReasons;

export type Normalised = ({ readonly ok: true } & Identifier) | { readonly ok: false; readonly reason: RejectionReason; readonly detail: string };

export function accepted(type: IdentifierType, value: string, scope?: string): Normalised {
  return (scope === undefined ? { ok: true, type, value } : { ok: true, type, scope, value }) as unknown as Normalised;
}

export function rejected(reason: RejectionReason, detail: string = rejectionReasons[reason]): Normalised {
  return { ok: false, reason, detail };
}

/** For values already canonical: read back from the store, or derived from a canonical value (its hashes). */
export function canonicalIdentifier(type: IdentifierType, value: string, scope?: string): Identifier {
  return (scope === undefined || scope === '' ? { type, value } : { type, scope, value }) as Identifier;
}
