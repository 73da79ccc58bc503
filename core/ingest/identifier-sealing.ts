/**
 * What storing one identifier takes, computed without the database: its keyed lookup hash, its
 * sealed value (null for a declared hash, stored as it came) and its suppression tombstone hashes.
 * Ingest computes these in a worker thread (seal-worker.ts) for large files, so they travel as one
 * packed buffer per batch, transferred rather than copied:
 *   per identifier: lookup hash (32) ‖ tombstone count (1) ‖ tombstones (32 each) ‖
 *   sealed length (uint32 BE; 0xFFFFFFFF for none) ‖ sealed bytes.
 * Pure: no I/O.
 */
import type { Identifier } from '../identifiers/identifier.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { sealIdentifier } from '../identifiers/identifier-store.ts';
import { suppressionHashesOf } from '../identifiers/identifier-suppression.ts';

export interface IdentifierSealing {
  readonly lookupHash: Uint8Array;
  readonly sealed: Uint8Array | null;
  readonly tombstones: readonly Uint8Array[];
}

const HASH_BYTES = 32;
const NOT_SEALED = 0xffff_ffff;

export function sealingOf(keys: IdentifierKeys, tenantId: string, identifier: Identifier): IdentifierSealing {
  const { lookupHash, sealed } = sealIdentifier(keys, tenantId, identifier);
  return { lookupHash, sealed, tombstones: suppressionHashesOf(tenantId, identifier) };
}

export function packSealings(sealings: readonly IdentifierSealing[]): Uint8Array {
  let size = 0;
  for (const { lookupHash, sealed, tombstones } of sealings) {
    if (lookupHash.length !== HASH_BYTES || tombstones.length > 255 || tombstones.some((hash) => hash.length !== HASH_BYTES)) throw new RangeError('a lookup hash or tombstone is not 32 bytes');
    size += HASH_BYTES + 1 + tombstones.length * HASH_BYTES + 4 + (sealed?.length ?? 0);
  }
  const packed = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const { lookupHash, sealed, tombstones } of sealings) {
    packed.set(lookupHash, at);
    at += HASH_BYTES;
    packed[at++] = tombstones.length;
    for (const hash of tombstones) {
      packed.set(hash, at);
      at += HASH_BYTES;
    }
    at = packed.writeUInt32BE(sealed ? sealed.length : NOT_SEALED, at);
    if (sealed) {
      packed.set(sealed, at);
      at += sealed.length;
    }
  }
  return packed;
}

/** The `count` sealings of a packed batch; each field is a view into `packed`. */
export function unpackSealings(packed: Uint8Array, count: number): IdentifierSealing[] {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const sealings: IdentifierSealing[] = new Array(count);
  let at = 0;
  const take = (length: number) => {
    if (at + length > bytes.length) throw new RangeError('packed sealings end early');
    const view = bytes.subarray(at, at + length);
    at += length;
    return view;
  };
  for (let i = 0; i < count; i++) {
    const lookupHash = take(HASH_BYTES);
    const tombstones: Uint8Array[] = new Array(take(1)[0]!);
    for (let t = 0; t < tombstones.length; t++) tombstones[t] = take(HASH_BYTES);
    const length = take(4).readUInt32BE(0);
    sealings[i] = { lookupHash, sealed: length === NOT_SEALED ? null : take(length), tombstones };
  }
  if (at !== bytes.length) throw new RangeError('packed sealings have bytes left over');
  return sealings;
}
