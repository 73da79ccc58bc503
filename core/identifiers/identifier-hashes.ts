/**
 * Plain hashes of a canonical identifier, as ad platforms and partners take them and as the
 * suppression tombstones record them: SHA-256 or MD5 over the UTF-8 canonical value, lower-case hex.
 * For scoped types the scope is not hashed (a platform hashes the openid alone).
 * Pure: no keys, no I/O. These hashes are guessable for emails and phones, which is why the
 * identifier table keys its lookup with a tenant secret instead (identifier-keys.ts).
 */
import { hash as digestOf } from 'node:crypto';
import { identifierTombstone } from '../../consent/suppression-hash.ts';
import { canonicalIdentifier, type Identifier } from './identifier.ts';
import { HASH_LENGTHS, hashedTypeParts, type BaseType, type HashKind } from './identifier-types.ts';

// crypto.hash, one call per value: several times faster than createHash for short inputs, and
// ingest takes two of these per identifier.
export const sha256Hex = (canonical: string): string => digestOf('sha256', canonical, 'hex');
export const md5Hex = (canonical: string): string => digestOf('md5', canonical, 'hex');

const hashers: Record<HashKind, (canonical: string) => string> = { sha256: sha256Hex, md5: md5Hex };

/** The identifier hashed as a platform wants it, e.g. ('email', sha256) → email_sha256. A declared hash of that kind is itself. */
export function hashedIdentifier(identifier: Identifier, hash: HashKind): Identifier {
  const declared = hashedTypeParts(identifier.type);
  if (declared) {
    if (declared.hash !== hash) throw new TypeError(`${identifier.type} cannot be turned into ${hash}`);
    return identifier;
  }
  return canonicalIdentifier(`${identifier.type as BaseType}_${hash}`, hashers[hash](identifier.value), identifier.scope);
}

/** Every hashed form this identifier can be known by: all of them for a raw value, itself for a declared hash. */
export function hashedFormsOf(identifier: Identifier): Identifier[] {
  if (hashedTypeParts(identifier.type)) return [identifier];
  return (Object.keys(HASH_LENGTHS) as HashKind[]).map((hash) => hashedIdentifier(identifier, hash));
}

export interface IdentifierTombstone {
  readonly hash: Uint8Array;
  /** The hashed type, as erasure records it (kind of core/privacy/suppression.ts Tombstone). */
  readonly kind: string;
}

/**
 * The suppression tombstones that would mark this identifier as erased (consent/suppression-hash.ts):
 * one per hashed form, so an erasure that recorded email_sha256 or email_md5 blocks the raw email.
 */
export function tombstonesOf(tenantId: string, identifier: Identifier): IdentifierTombstone[] {
  return hashedFormsOf(identifier).map((form) => ({ hash: identifierTombstone(tenantId, { type: form.type, hash: form.value }), kind: form.type }));
}
