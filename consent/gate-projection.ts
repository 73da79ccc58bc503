/**
 * The batch gate's in-memory projection for one (purpose, recipient, regime): bitsets over integer
 * subject keys, so gating ten million people is a pass over a typed array. It is the only producer
 * of a ConsentedSet, the value every processing path must hold for its purpose: forgetting the
 * gate is a type error, and forging its answer is refused at run time.
 *
 * Refreshes may overlap (two transactions, each reading the ledger at its own moment), so a row
 * applies only if it is newer than what the projection holds for its key, and the projection's
 * sequence number only moves forward: an older grant read late never covers a newer withdrawal.
 */
import { ConsentError } from './consent-errors.ts';
import type { LegalBasis } from './decide-state.ts';
import type { Regime } from './consent-event.ts';

export interface DeniedCounts {
  readonly noConsent: number;
  readonly refused: number;
  readonly expired: number;
}

interface Answer {
  readonly purpose: string;
  readonly recipient: string;
  readonly regime: Regime;
  readonly at: Date;
  readonly keys: Uint32Array;
  readonly denied: DeniedCounts;
  readonly evaluatedAtSeq: number;
}

/** Known only to this module: what a ConsentedSet is made with, so nothing else can make one. */
const minted = Symbol('minted by the consent gate');

/**
 * Subject keys the gate allowed for one purpose, recipient and regime at one instant. Made only
 * here; its keys are a private copy, handed out as copies, so no caller can add anyone to it.
 */
export class ConsentedSet {
  readonly #keys: Uint32Array;
  readonly #at: number;
  #index: Set<number> | undefined;
  readonly purpose: string;
  readonly recipient: string;
  readonly regime: Regime;
  readonly denied: DeniedCounts;
  /** The ledger sequence number the answer reflects: the evidence of what it was based on. */
  readonly evaluatedAtSeq: number;

  constructor(mint: symbol, answer: Answer) {
    if (mint !== minted) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', 'only the consent gate makes a ConsentedSet');
    this.#keys = answer.keys.slice();
    this.#at = answer.at.getTime();
    this.purpose = answer.purpose;
    this.recipient = answer.recipient;
    this.regime = answer.regime;
    this.denied = Object.freeze({ ...answer.denied });
    this.evaluatedAtSeq = answer.evaluatedAtSeq;
    Object.freeze(this);
  }

  /** Refuses anything the gate did not make (a literal, a copy, a proxy), or one made for another purpose. */
  static check(value: unknown, purpose: string): asserts value is ConsentedSet {
    if (typeof value !== 'object' || value === null || !(#keys in value)) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', 'not a ConsentedSet from the consent gate');
    if (value.purpose !== purpose) throw new ConsentError('ACCORD_ERR_CONSENT_NOT_GATED', `the consent gate answered for ${value.purpose}, not ${purpose}`);
  }

  get at(): Date {
    return new Date(this.#at);
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The allowed keys in the order they were asked: a new copy on every read, so take it once. */
  get keys(): Uint32Array {
    return this.#keys.slice();
  }

  has(key: number): boolean {
    // Private fields are not frozen: the index is built on first use.
    this.#index ??= new Set(this.#keys);
    return this.#index.has(key);
  }
}
Object.freeze(ConsentedSet.prototype);
Object.freeze(ConsentedSet);

export interface StateRow {
  readonly subjectKey: number;
  readonly granted: boolean;
  readonly expiresAt: Date | null;
  readonly decidedBySeq: number;
}

const hasBit = (bits: Uint8Array, key: number) => key >>> 3 < bits.length && (bits[key >>> 3]! & (1 << (key & 7))) !== 0;

/** Keys a new projection has room for; it doubles as keys arrive. */
const INITIAL_KEYS = 1 << 13;

export class GateProjection {
  private granted = new Uint8Array(INITIAL_KEYS >>> 3);
  private decided = new Uint8Array(INITIAL_KEYS >>> 3);
  /** Expiry in whole epoch seconds per key, rounded down (a grant lapses early, never late); 0 means none. */
  private expiries = new Uint32Array(INITIAL_KEYS);
  /** The ledger sequence number of the decision held per key; 0 means none. */
  private seqs = new Uint32Array(INITIAL_KEYS);
  #seq = 0;

  constructor(
    readonly purpose: string,
    readonly recipient: string,
    readonly regime: Regime,
  ) {}

  /** Every decision up to this ledger sequence number is applied. */
  get seq(): number {
    return this.#seq;
  }

  /** Memory held, for the gate's budget. */
  get bytes(): number {
    return this.granted.byteLength + this.decided.byteLength + this.expiries.byteLength + this.seqs.byteLength;
  }

  /** Records that every decision up to `seq` is applied; an older `seq` (a slower refresh) changes nothing. */
  advanceTo(seq: number): void {
    if (seq > this.#seq) this.#seq = seq;
  }

  private grow(key: number): void {
    if (key < this.seqs.length) return;
    let keys = this.seqs.length;
    while (key >= keys) keys *= 2;
    for (const name of ['granted', 'decided'] as const) {
      const bigger = new Uint8Array(keys >>> 3);
      bigger.set(this[name]);
      this[name] = bigger;
    }
    for (const name of ['expiries', 'seqs'] as const) {
      const bigger = new Uint32Array(keys);
      bigger.set(this[name]);
      this[name] = bigger;
    }
  }

  /** Applies current-state rows (a full load, or the rows decided since `seq`); rows older than what a key holds are ignored. */
  apply(rows: Iterable<StateRow>): void {
    for (const row of rows) {
      const key = row.subjectKey;
      if (!Number.isInteger(key) || key < 0 || key > 0xffffffff) throw new RangeError(`subject key ${key} is not a 32-bit unsigned integer`);
      if (!Number.isInteger(row.decidedBySeq) || row.decidedBySeq < 1 || row.decidedBySeq > 0xffffffff) throw new RangeError(`ledger sequence number ${row.decidedBySeq} is not a 32-bit unsigned integer`);
      this.grow(key);
      if (row.decidedBySeq <= this.seqs[key]!) continue;
      this.seqs[key] = row.decidedBySeq;
      const byte = key >>> 3;
      const bit = 1 << (key & 7);
      this.decided[byte]! |= bit;
      if (row.granted) this.granted[byte]! |= bit;
      else this.granted[byte]! &= ~bit;
      this.expiries[key] = row.granted && row.expiresAt ? Math.min(0xffffffff, Math.max(1, Math.floor(row.expiresAt.getTime() / 1000))) : 0;
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
        if (expiry !== 0 && expiry * 1000 <= when) expired++;
        else allowed[count++] = key;
      }
    }
    return new ConsentedSet(minted, {
      purpose: this.purpose,
      recipient: this.recipient,
      regime: this.regime,
      at,
      keys: allowed.subarray(0, count),
      denied: { noConsent, refused, expired },
      evaluatedAtSeq: this.#seq,
    });
  }
}
