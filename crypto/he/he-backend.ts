/**
 * The homomorphic-encryption operations federated scoring needs, behind one small interface so the
 * WASM backend (node-seal, seal-backend.ts) can be replaced by a native one without touching the
 * protocol. Everything is in value units: the backend maps real numbers to its scheme (CKKS scale,
 * BFV fixed point) and back, and ciphertexts cross party boundaries as bytes only.
 * Contract:
 * - Every ciphertext read from bytes is checked before use: SEAL header, declared and actual size,
 *   size limit of its kind, parameter set and level, two polynomials, not transparent, scale; a
 *   failure throws HeError and nothing is loaded.
 * - A decryption that does not yield values in range throws HeError (ACCORD_ERR_HE_UNDECRYPTABLE).
 * - Handles (contexts, keys, ciphertexts, plaintexts) live in backend memory that no garbage
 *   collector sees; dispose() frees each at once, and HeScope (he-scope.ts) makes that routine.
 * - Nothing here draws randomness of its own for masks: the caller passes the bytes, so a step
 *   repeated with the same inputs gives the same output bytes.
 */
import type { HeParams, HeParamsName } from './he-params.ts';

export interface HeDisposable {
  dispose(): void;
}

/** An encrypted vector of `slots` values. */
export type HeCiphertext = HeDisposable;

/** An encoded plaintext multiplier. */
export interface HePlaintext extends HeDisposable {
  /** A product with a zero plaintext would not be encrypted at all (transparent), so callers skip it. */
  readonly isZero: boolean;
}

/**
 * `fresh`: encrypted by the key holder, at the first level (what the brand sends).
 * `reply`: a masked result at the last level (what the provider sends back).
 */
export type HeCiphertextKind = 'fresh' | 'reply';

/** Fills its argument with random (or pseudorandom) bytes. */
export type RandomFill = (out: Uint8Array) => void;

export interface HeContext extends HeDisposable {
  readonly params: HeParams;
  /** heParamsId(params): carried in message headers. */
  readonly paramsId: string;
  /** Values per ciphertext (rows per chunk). */
  readonly slots: number;
  /** The most bytes a serialised ciphertext of this kind may have. */
  maxCiphertextBytes(kind: HeCiphertextKind): number;
  readCiphertext(bytes: Uint8Array, kind: HeCiphertextKind): HeCiphertext;
  writeCiphertext(ciphertext: HeCiphertext): Uint8Array;
  /** A multiplier for multiplyAccumulate; at most `slots` values, the rest are zero. */
  encodeMultiplier(values: Float64Array): HePlaintext;
  /** ciphertext += values, slot by slot; only before the ciphertext is multiplied. */
  addValues(ciphertext: HeCiphertext, values: Float64Array): void;
  /** accumulator += ciphertext ⊙ multiplier (a new accumulator when none is given); `multiplier` must not be zero. */
  multiplyAccumulate(accumulator: HeCiphertext | undefined, ciphertext: HeCiphertext, multiplier: HePlaintext): HeCiphertext;
  /**
   * Turns an accumulated product into a `reply` in place: brings it to the last level and adds a
   * mask uniform per slot, drawn from `random`. Returns the sum of the mask over all slots (0 when
   * `zeroSum`, whose mask sums to zero so the slot sum stays readable while each slot is hidden).
   */
  maskReply(accumulator: HeCiphertext, random: RandomFill, zeroSum: boolean): number;
  /** Centred reduction of a difference of slot sums by the scheme's sum modulus (BFV: t at product scale); identity for CKKS. */
  reduceSum(value: number): number;
  generateSecretKey(): HeSecretKey;
  /** A secret key from `HeSecretKey.export()` bytes of the same parameter set. */
  loadSecretKey(bytes: Uint8Array): HeSecretKey;
}

/** The key holder's side: the only object that can encrypt or decrypt. */
export interface HeSecretKey extends HeDisposable {
  /** A `fresh` ciphertext of up to `slots` values, symmetric and seeded (half the size of a public-key one). */
  encrypt(values: Float64Array): Uint8Array;
  /** All slots of a ciphertext, in value units. */
  decrypt(bytes: Uint8Array, kind: HeCiphertextKind): Float64Array;
  /** The sum over all slots of a `reply`, in value units (BFV: centred modulo the sum modulus). */
  decryptSum(bytes: Uint8Array): number;
  /** The key's bytes, for the caller to seal at rest; never to be sent. */
  export(): Uint8Array;
}

export interface HeBackend {
  /** The backend's name and version, for model cards and logs. */
  readonly name: string;
  createContext(params: HeParamsName): HeContext;
}
