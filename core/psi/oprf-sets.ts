/**
 * The OPRF modes (unbalanced, and PSI with payload). The server never sends its blinded elements
 * H(s)^b: from those the client could derive every payload key. It sends one-way tags of them —
 * as a Golomb-coded set when only membership is needed, or as tag ‖ sealed payload pairs — and the
 * client reaches H(c)^b for its own elements only, by unblinding the H(c)^ab the server returns.
 * So the client can open exactly the payloads of its matches, and learns nothing of the rest.
 * ristretto255 only: X25519 cannot unblind.
 */
import { GolombCodedSet } from '../../crypto/psi/golomb-coded-set.ts';
import { openPayload, PAYLOAD_TAG_BYTES, payloadTag, sealedPayloadBytes, sealPayload, type PayloadContext } from '../../crypto/psi/payload-seal.ts';
import { ELEMENT_BYTES } from '../../crypto/psi/suites.ts';
import { sortElements } from './sort-elements.ts';

/** Tag values of one person, as JSON, padded to this so sizes say nothing. */
export const PAYLOAD_PADDED_BYTES = 512;
export const PAYLOAD_ENTRY_BYTES = PAYLOAD_TAG_BYTES + sealedPayloadBytes(PAYLOAD_PADDED_BYTES);
/** The chance that any of the client's elements is a false member of the set, over the whole run. */
export const UNBALANCED_TOTAL_FPR = 1e-6;

function tagsOf(elements: Uint8Array, context: PayloadContext): Uint8Array {
  const count = elements.length / ELEMENT_BYTES;
  const tags = new Uint8Array(count * PAYLOAD_TAG_BYTES);
  for (let i = 0; i < count; i++) tags.set(payloadTag(elements.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES), context), i * PAYLOAD_TAG_BYTES);
  return tags;
}

/** Server, unbalanced: a Golomb-coded set of the tags of H(s)^b, sized for the client's declared set. */
export function membershipSet(blinded: Uint8Array, context: PayloadContext, clientSize: number): Uint8Array {
  const falsePositiveRate = UNBALANCED_TOTAL_FPR / Math.max(1, clientSize);
  return GolombCodedSet.build(tagsOf(blinded, context), PAYLOAD_TAG_BYTES, { falsePositiveRate }).encode();
}

/** Server, payload: tag ‖ sealed payload per element, sorted by tag so the order says nothing. */
export function payloadEntries(blinded: Uint8Array, payloads: readonly Uint8Array[], context: PayloadContext): Uint8Array {
  const count = blinded.length / ELEMENT_BYTES;
  const entries = new Uint8Array(count * PAYLOAD_ENTRY_BYTES);
  for (let i = 0; i < count; i++) {
    const element = blinded.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES);
    entries.set(payloadTag(element, context), i * PAYLOAD_ENTRY_BYTES);
    entries.set(sealPayload(element, payloads[i]!, { paddedLength: PAYLOAD_PADDED_BYTES, context }), i * PAYLOAD_ENTRY_BYTES + PAYLOAD_TAG_BYTES);
  }
  return sortElements(entries, PAYLOAD_ENTRY_BYTES).sorted;
}

/** Client, unbalanced: indices of its unblinded elements H(c)^b whose tags are in the server's set. */
export function membershipMatches(unblinded: Uint8Array, context: PayloadContext, encodedSet: Uint8Array, maxServerSize: number): Uint32Array {
  return GolombCodedSet.decode(encodedSet, { maxCount: maxServerSize }).matchIndices(tagsOf(unblinded, context), PAYLOAD_TAG_BYTES);
}

/** Client, payload: for each of its elements that matched, its index and the payload it opened. */
export function openPayloads(unblinded: Uint8Array, context: PayloadContext, entries: Uint8Array): Array<{ index: number; payload: Uint8Array }> {
  const byTag = new Map<string, number>();
  for (let offset = 0; offset < entries.length; offset += PAYLOAD_ENTRY_BYTES) {
    byTag.set(Buffer.from(entries.buffer, entries.byteOffset + offset, PAYLOAD_TAG_BYTES).toString('latin1'), offset);
  }
  const tags = tagsOf(unblinded, context);
  const opened: Array<{ index: number; payload: Uint8Array }> = [];
  for (let i = 0; i < tags.length / PAYLOAD_TAG_BYTES; i++) {
    const offset = byTag.get(Buffer.from(tags.buffer, tags.byteOffset + i * PAYLOAD_TAG_BYTES, PAYLOAD_TAG_BYTES).toString('latin1'));
    if (offset === undefined) continue;
    const sealed = entries.subarray(offset + PAYLOAD_TAG_BYTES, offset + PAYLOAD_ENTRY_BYTES);
    const payload = openPayload(unblinded.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES), sealed, context);
    // A tag collision without the key is not a match.
    if (payload) opened.push({ index: i, payload });
  }
  return opened;
}
