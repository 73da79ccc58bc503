/**
 * The platform ids a member was sent with, sealed in the membership ledger: a removal sends exactly
 * what was added, even after the person's identifiers changed or were erased. Bound to the tenant,
 * sync, destination and person, so a sealed value moved to another row does not open.
 */
import { deriveKey } from '../../crypto/derive-key.ts';
import { open, seal } from '../../crypto/seal.ts';
import type { PreparedId } from './identifier-profile.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface LedgerRow {
  readonly tenantId: string;
  readonly syncId: number;
  readonly destinationId: number;
  readonly personId: number;
}

const contextOf = (row: LedgerRow) => encoder.encode(`accord/activation/sent-ids\0${row.tenantId.toLowerCase()}\0${row.syncId}\0${row.destinationId}\0${row.personId}`);

export class SentIdSealer {
  private readonly key: Uint8Array;

  constructor(masterKey: Uint8Array) {
    this.key = deriveKey(masterKey, 'accord/activation/v1/sent-ids');
  }

  seal(row: LedgerRow, ids: readonly PreparedId[]): Uint8Array {
    return seal(this.key, encoder.encode(JSON.stringify(ids.map((id) => [id.type, id.value, id.prehashed ? 1 : 0]))), contextOf(row));
  }

  open(row: LedgerRow, sealed: Uint8Array): PreparedId[] {
    const ids = JSON.parse(decoder.decode(open(this.key, sealed, contextOf(row)))) as Array<[string, string, number]>;
    return ids.map(([type, value, prehashed]) => ({ type, value, prehashed: prehashed === 1 }));
  }
}
