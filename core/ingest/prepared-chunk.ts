/**
 * A chunk of valid ingest rows with everything that needs no database done while the rows arrive:
 * every distinct identifier's keyed lookup hash, sealed value and suppression tombstone hashes
 * (identifier-sealing.ts). The identifiers go to the sealer a batch at a time as the chunk fills,
 * so with a worker sealer the cryptography runs beside the reading, and both beside the previous
 * chunk's transaction. A repeat of an identifier within the chunk (a family phone) is sealed once.
 */
import type { Identifier } from '../identifiers/identifier.ts';
import type { SealedIdentifier } from '../identifiers/identifier-store.ts';
import type { IdentifierSealer } from './identifier-sealer.ts';
import type { IdentifierSealing } from './identifier-sealing.ts';
import type { ParsedRow } from './ingest-row.ts';

export interface PreparedIdentifier extends SealedIdentifier {
  readonly tombstones: readonly Uint8Array[];
}

export interface PreparedRow {
  readonly parsed: ParsedRow;
  /** The row's identifiers in its order; repeats within the chunk are the same object. */
  readonly identifiers: readonly PreparedIdentifier[];
}

/** Distinct identifiers per sealing batch: small enough to keep the sealer busy while the chunk fills. */
const SEAL_BATCH = 2_048;
const NOT_YET = new Uint8Array(0);

/** Filled in when its batch comes back from the sealer. */
interface Sealing {
  identifier: Identifier;
  lookupHash: Uint8Array;
  sealed: Uint8Array | null;
  tombstones: readonly Uint8Array[];
}

export class PreparedChunk {
  readonly rows: PreparedRow[] = [];
  private readonly distinct = new Map<string, Sealing>();
  private unsent: Sealing[] = [];
  private readonly batches: Array<Promise<void>> = [];

  constructor(private readonly sealer: IdentifierSealer) {}

  add(parsed: ParsedRow): void {
    this.rows.push({ parsed, identifiers: parsed.identifiers.map(({ identifier }) => this.prepare(identifier)) });
    if (this.unsent.length >= SEAL_BATCH) this.send();
  }

  /** Resolves when every identifier of the chunk is sealed; only then are rows and identifiers complete. */
  async sealed(): Promise<void> {
    this.send();
    await Promise.all(this.batches);
  }

  /** Each distinct identifier of the chunk once. */
  identifiers(): IterableIterator<PreparedIdentifier> {
    return this.distinct.values();
  }

  private prepare(identifier: Identifier): PreparedIdentifier {
    const key = `${identifier.type}\0${identifier.scope ?? ''}\0${identifier.value}`;
    let prepared = this.distinct.get(key);
    if (!prepared) {
      prepared = { identifier, lookupHash: NOT_YET, sealed: null, tombstones: [] };
      this.distinct.set(key, prepared);
      this.unsent.push(prepared);
    }
    return prepared;
  }

  private send(): void {
    if (this.unsent.length === 0) return;
    const batch = this.unsent;
    this.unsent = [];
    const done = this.sealer.seal(batch.map(({ identifier }) => identifier)).then((sealings: IdentifierSealing[]) => {
      for (let i = 0; i < batch.length; i++) {
        const { lookupHash, sealed, tombstones } = sealings[i]!;
        const prepared = batch[i]!;
        prepared.lookupHash = lookupHash;
        prepared.sealed = sealed;
        prepared.tombstones = tombstones;
      }
    });
    // Awaited in sealed(); a failure before then must not count as unhandled.
    done.catch(() => {});
    this.batches.push(done);
  }
}
