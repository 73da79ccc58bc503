/**
 * The PSI suites Accord speaks and the domain-separation tag every hash-to-group call uses.
 * ristretto255 (RFC 9496, hashing per RFC 9380) is the default and the only suite that can unblind;
 * x25519-elligator2 is a faster lane for runs where both ends are Accord nodes.
 * The tag binds a hashed identifier to one suite, one collaboration and one identifier type, so the
 * same email hashed for another collaboration or as another type lands on an unrelated point.
 */

export type PsiSuite = 'ristretto255' | 'x25519-elligator2';

export const PSI_SUITES: readonly PsiSuite[] = Object.freeze(['ristretto255', 'x25519-elligator2']);
export const DEFAULT_PSI_SUITE: PsiSuite = 'ristretto255';

/** Bytes of one encoded group element, of one input digest and of one secret key, in every suite. */
export const ELEMENT_BYTES = 32;

/** RFC 9380 §5.3.1: a DST is at most 255 bytes (longer ones would have to be hashed first). */
export const MAX_DST_BYTES = 255;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

export function isPsiSuite(value: string): value is PsiSuite {
  return (PSI_SUITES as readonly string[]).includes(value);
}

/**
 * `ACCORD-PSI-v1-<suite>-<collaborationId>-<idType>` in ASCII. The id type may not contain '-', so
 * the tag reads back unambiguously from the right even when the collaboration id is a UUID.
 */
export function psiDomainSeparationTag(suite: PsiSuite, collaborationId: string, idType: string): Uint8Array {
  if (!isPsiSuite(suite)) throw new RangeError(`unknown PSI suite: ${String(suite)}`);
  if (!PRINTABLE_ASCII.test(collaborationId)) {
    throw new RangeError('collaboration id must be non-empty printable ASCII without spaces');
  }
  if (!PRINTABLE_ASCII.test(idType) || idType.includes('-')) {
    throw new RangeError("identifier type must be non-empty printable ASCII without spaces or '-'");
  }
  const tag = `ACCORD-PSI-v1-${suite}-${collaborationId}-${idType}`;
  if (tag.length > MAX_DST_BYTES) throw new RangeError(`domain-separation tag is longer than ${MAX_DST_BYTES} bytes`);
  return new TextEncoder().encode(tag);
}
