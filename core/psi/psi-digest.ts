/**
 * What a party feeds into PSI for one identifier: the 32-byte SHA-256 of its canonical form. Both
 * ends start from the same normaliser (core/identifiers), so the same person gives the same digest
 * on every node; a partner that only holds SHA-256 hashes of normalised identifiers (as ad platforms
 * exchange them) joins with the hashes as they are. MD5 forms cannot take part: MD5 of a value is not
 * its SHA-256, and a collision-prone hash has no place in the match.
 */
import { createHash } from 'node:crypto';
import type { Identifier } from '../identifiers/identifier.ts';
import { hashedTypeParts, scopeRuleOf, isBaseType, type BaseType } from '../identifiers/identifier-types.ts';

export const PSI_DIGEST_BYTES = 32;

/** Identifier types a collaboration may match on: unscoped ones, since a scoped id means nothing across issuers. */
export function isPsiIdType(type: string): type is BaseType {
  return isBaseType(type) && scopeRuleOf(type) === 'none';
}

/** The base type an identifier is matched as, or undefined when it cannot take part. */
export function psiIdTypeOf(identifier: Identifier): BaseType | undefined {
  if (isBaseType(identifier.type)) return isPsiIdType(identifier.type) ? identifier.type : undefined;
  const hashed = hashedTypeParts(identifier.type);
  return hashed?.hash === 'sha256' && isPsiIdType(hashed.base) ? hashed.base : undefined;
}

/** The 32-byte digest, written into `out` at `offset`; false when the identifier cannot take part. */
export function writePsiDigest(identifier: Identifier, out: Uint8Array, offset: number): boolean {
  if (psiIdTypeOf(identifier) === undefined) return false;
  if (isBaseType(identifier.type)) {
    out.set(createHash('sha256').update(identifier.value, 'utf8').digest(), offset);
  } else {
    out.set(Buffer.from(identifier.value, 'hex'), offset);
  }
  return true;
}
