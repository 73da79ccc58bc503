/**
 * A chunk of valid ingest rows with everything that needs no database done as each row arrives:
 * every distinct identifier's keyed lookup hash, sealed value and suppression tombstone hashes.
 * Ingest fills the next chunk this way while the previous chunk's transaction runs, so the
 * per-identifier cryptography overlaps the database's work instead of waiting for it. A repeat of
 * an identifier within the chunk (a family phone) is sealed once.
 */
import type { Identifier } from '../identifiers/identifier.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { sealIdentifier, type SealedIdentifier } from '../identifiers/identifier-store.ts';
import { suppressionHashesOf } from '../identifiers/identifier-suppression.ts';
import type { ParsedRow } from './ingest-row.ts';

export interface PreparedIdentifier extends SealedIdentifier {
  readonly tombstones: readonly Uint8Array[];
}

export interface PreparedRow {
  readonly parsed: ParsedRow;
  /** The row's identifiers in its order; repeats within the chunk are the same object. */
  readonly identifiers: readonly PreparedIdentifier[];
}

export class PreparedChunk {
  readonly rows: PreparedRow[] = [];
  private readonly distinct = new Map<string, PreparedIdentifier>();

  constructor(
    private readonly keys: IdentifierKeys,
    private readonly tenantId: string,
  ) {}

  add(parsed: ParsedRow): void {
    this.rows.push({ parsed, identifiers: parsed.identifiers.map(({ identifier }) => this.prepare(identifier)) });
  }

  /** Each distinct identifier of the chunk once. */
  identifiers(): IterableIterator<PreparedIdentifier> {
    return this.distinct.values();
  }

  private prepare(identifier: Identifier): PreparedIdentifier {
    const key = `${identifier.type}\0${identifier.scope ?? ''}\0${identifier.value}`;
    let prepared = this.distinct.get(key);
    if (!prepared) {
      const { lookupHash, sealed } = sealIdentifier(this.keys, this.tenantId, identifier);
      prepared = { identifier, lookupHash, sealed, tombstones: suppressionHashesOf(this.tenantId, identifier) };
      this.distinct.set(key, prepared);
    }
    return prepared;
  }
}
