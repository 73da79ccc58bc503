/**
 * The batch gate's in-memory projection for one (purpose, recipient, regime): bitsets over integer
 * subject keys, so gating ten million people is a pass over a typed array. It is the only producer
 * of a ConsentedSet, the value every processing path must hold for its purpose: forgetting the
 * gate is a type error, not a review comment.
 */
import type { LegalBasis } from './decide-state.ts';
import type { Regime } from './consent-event.ts';

declare const consented: unique symbol;

/** Subject keys the gate allowed for one purpose, recipient and regime at one instant. */
export interface ConsentedSet {
  readonly [consented]: true;
  readonly purpose: string;
  readonly recipient: string;
  readonly regime: Regime;
  readonly at: Date;
  readonly keys: Uint32Array;
  readonly denied: { readonly noConsent: number; readonly refused: number; readonly expired: number };
  /** The ledger sequence number the answer reflects: the evidence of what it was based on. */
  readonly evaluatedAtSeq: number;
}

export interface StateRow {
  readonly subjectKey: number;
  readonly granted: boolean;
  readonly expiresAt: Date | null;
  readonly decidedBySeq: number;
}

const hasBit = (bits: Uint8Array, key: number) => key >>> 3 < bits.length && (bits[key >>> 3]! & (1 << (key & 7))) !== 0;

export class GateProjection {
  private granted = new Uint8Array(1 << 16);
  private decided = new Uint8Array(1 << 16);
  /** Expiry in epoch ms per key; 0 means none. */
  private expiries = new Float64Array(1 << 19);
  /** Every decision up to this ledger sequence number is applied. */
  seq = 0;

  constructor(
    readonly purpose: string,
    readonly recipient: string,
    readonly regime: Regime,
  ) {}

  private grow(key: number): void {
    if (key >>> 3 < this.granted.length) return;
    let size = this.granted.length;
    while (key >>> 3 >= size) size *= 2;
    for (const name of ['granted', 'decided'] as const) {
      const bigger = new Uint8Array(size);
      bigger.set(this[name]);
      this[name] = bigger;
    }
    const expiries = new Float64Array(size * 8);
    expiries.set(this.expiries);
    this.expiries = expiries;
  }

  /** Applies current-state rows (a full load, or the rows decided since `seq`). */
  apply(rows: Iterable<StateRow>): void {
    for (const row of rows) {
      const key = row.subjectKey;
      if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) throw new RangeError(`subject key ${key} is not a 32-bit unsigned integer`);
      this.grow(key);
      const byte = key >>> 3;
      const bit = 1 << (key & 7);
      this.decided[byte]! |= bit;
      if (row.granted) this.granted[byte]! |= bit;
      else this.granted[byte]! &= ~bit;
      this.expiries[key] = row.granted && row.expiresAt ? row.expiresAt.getTime() : 0;
    }
  }

  /** Gates `keys` at `at`. Under `consent`, undecided keys are denied; under `opt_out`, allowed. */
  evaluate(keys: Uint32Array, at: Date, basis: LegalBasis): ConsentedSet {
    const allowed = new Uint32Array(keys.length);
    const when = at.getTime();
    let count = 0;
    let noConsent = 0;
    let refused = 0;
    let expired = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!hasBit(this.decided, key)) {
        if (basis === 'opt_out') allowed[count++] = key;
        else noConsent++;
      } else if (!hasBit(this.granted, key)) {
        refused++;
      } else {
        const expiry = this.expiries[key]!;
        if (expiry !== 0 && expiry <= when) expired++;
        else allowed[count++] = key;
      }
    }
    return {
      purpose: this.purpose,
      recipient: this.recipient,
      regime: this.regime,
      at,
      keys: allowed.subarray(0, count),
      denied: { noConsent, refused, expired },
      evaluatedAtSeq: this.seq,
    } as ConsentedSet;
  }
}
