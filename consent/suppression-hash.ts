/**
 * Suppression tombstones: what stays after an erasure so the person is not re-imported or
 * re-targeted (failure modes 39 and 45), without keeping who they were.
 * A tombstone is SHA-256 over the RFC 8785 JSON
 *   {"kind": <kind>, "tenant": <tenant uuid, lower case>, "v": 1, "value": <value>}
 * where kind is "subject" (value: the ledger's subject reference, NFC) or an identifier type such as
 * "email_sha256" (value: that identifier as ingest hashes it, lower-case hex; never a raw value).
 * The tenant in the encoding keeps one tenant's tombstones from matching another's.
 * Known weakness: anyone who can read the table and guess an identifier can test the guess; the
 * check needs no secret so every ingest path can run it.
 */
import { hash } from 'node:crypto';
import { ConsentError } from './consent-errors.ts';

export const IDENTIFIER_TYPE = /^[a-z][a-z0-9_]{0,39}$/;
export const IDENTIFIER_HASH = /^[0-9a-f]{32,128}$/;

export interface HashedIdentifier {
  /** e.g. email_sha256, phone_sha256, wechat_openid_sha256 */
  readonly type: string;
  /** Lower-case hex, as the ingest pipeline hashes that identifier type. */
  readonly hash: string;
}

function tombstone(tenantId: string, kind: string, value: string): Uint8Array {
  // The RFC 8785 form of {kind, tenant, v: 1, value}, written out: members in sorted order and
  // strings as JSON.stringify writes them (RFC 8785 §3.2.2.2), so ingest can afford one per identifier.
  // A test compares it with canonicalJsonBytes over the same object.
  const canonical = `{"kind":${JSON.stringify(kind)},"tenant":${JSON.stringify(tenantId.toLowerCase())},"v":1,"value":${JSON.stringify(value)}}`;
  // One-shot crypto.hash: ingest takes two tombstones per identifier, and createHash costs more than the hashing.
  return hash('sha256', canonical.normalize('NFC'), 'buffer');
}

export function subjectTombstone(tenantId: string, subject: string): Uint8Array {
  return tombstone(tenantId, 'subject', subject.normalize('NFC'));
}

export function identifierTombstone(tenantId: string, identifier: HashedIdentifier): Uint8Array {
  const hash = identifier.hash.toLowerCase();
  if (identifier.type === 'subject' || !IDENTIFIER_TYPE.test(identifier.type) || !IDENTIFIER_HASH.test(hash)) {
    throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', 'an identifier is {type: lower-case name, hash: 32-128 hex digits}; raw identifiers are never taken');
  }
  return tombstone(tenantId, identifier.type, hash);
}
