/**
 * A hash chain over an append-only sequence of records (consent events, per tenant): each link is
 * SHA-256("accord/hash-chain/v1" ‖ 0x00 ‖ previous link ‖ record bytes), starting from 32 zero bytes.
 * Guarantee: changing, removing, inserting or reordering any record changes every later link, so the
 * first record whose stored link does not recompute is the first one altered.
 * Known weakness: a writer who can rewrite the whole tail can recompute it; signed Merkle checkpoints
 * published elsewhere (checkpoint.ts) close that gap.
 */
import { createHash } from 'node:crypto';

export const CHAIN_LINK_BYTES = 32;
export const GENESIS_LINK: Uint8Array = new Uint8Array(CHAIN_LINK_BYTES);
const DOMAIN = new TextEncoder().encode('accord/hash-chain/v1\0');

export function chainLink(previous: Uint8Array, record: Uint8Array): Uint8Array {
  if (previous.length !== CHAIN_LINK_BYTES) throw new RangeError(`previous link must be ${CHAIN_LINK_BYTES} bytes`);
  return createHash('sha256').update(DOMAIN).update(previous).update(record).digest();
}

export interface ChainedRecord {
  readonly record: Uint8Array;
  readonly link: Uint8Array;
}

/** Index of the first record whose stored link does not follow from its predecessors, or undefined when all do. */
export function firstBrokenLink(records: Iterable<ChainedRecord>, start: Uint8Array = GENESIS_LINK): number | undefined {
  let previous = start;
  let index = 0;
  for (const { record, link } of records) {
    const expected = chainLink(previous, record);
    if (link.length !== CHAIN_LINK_BYTES || Buffer.compare(Buffer.from(expected), Buffer.from(link)) !== 0) return index;
    previous = expected;
    index += 1;
  }
  return undefined;
}
