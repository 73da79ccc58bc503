/**
 * How one platform wants identifiers: the id types it takes, each derived from a canonical type of
 * core/identifiers and spelled and hashed the platform's way (phone with or without "+", the
 * 11-digit mainland number, SHA-256, MD5, Tencent's MD5-then-SHA-256). Profiles are pure; the sync
 * engine prepares members with them before an upload and fingerprints what they return.
 */
import type { BaseType } from '../identifiers/identifier-types.ts';
import type { RejectionReason } from '../identifiers/identifier.ts';
import type { IdentifierInput } from '../identifiers/normalise-identifier.ts';

/** A person as the node holds them: raw or canonical identifiers, or hashes the source declared. */
export interface MemberInput {
  /** Stable key of the person in the node (diffing, removal, dead letters). */
  readonly key: string;
  readonly identifiers: readonly IdentifierInput[];
}

export type HashAlgorithm = 'sha256' | 'md5' | 'md5_sha256' | 'none';

export interface PlatformIdType {
  /** The platform's name for it: EMAIL_SHA256, HASH_MOBILE_PHONE, MOBILE_HASH_SHA256, PHONE ... */
  readonly type: string;
  /** The canonical identifier type it is made from. */
  readonly from: BaseType;
  readonly hash: HashAlgorithm;
  readonly encoding: 'hex' | 'base64';
}

export interface PreparedId {
  readonly type: string;
  readonly value: string;
  /** The input was a declared hash: it was taken as it came, its normalisation unverifiable. */
  readonly prehashed: boolean;
}

export interface PreparedMember {
  readonly key: string;
  readonly ids: readonly PreparedId[];
}

export const profileRefusalReasons = {
  hash_not_taken: 'The platform takes another hash of this identifier',
  phone_not_mainland: 'The platform takes mainland China mobile numbers only',
  second_value: 'The member already has a value of this platform type; the first one is sent',
  no_usable_identifier: 'The member has no identifier this audience takes',
} as const;

export type ProfileRefusalReason = keyof typeof profileRefusalReasons;

export interface IdentifierRefusal {
  /** The input's type: email, phone_md5, ... */
  readonly type: string;
  readonly reason: RejectionReason | ProfileRefusalReason;
  readonly detail: string;
}

export type Preparation =
  | { readonly ok: true; readonly member: PreparedMember; readonly refused: readonly IdentifierRefusal[] }
  | { readonly ok: false; readonly key: string; readonly refused: readonly IdentifierRefusal[] };

export interface IdentifierProfile {
  readonly types: readonly PlatformIdType[];
  /**
   * The member's ids for an audience that holds `types` (platform type names, a subset of `types`).
   * Identifiers of other types are left out silently; invalid ones are listed in `refused`.
   */
  prepare(member: MemberInput, types: readonly string[]): Preparation;
}
