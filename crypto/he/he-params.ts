/**
 * The two homomorphic-encryption parameter sets federated scoring uses, both N = 8192, 128-bit
 * security (HomomorphicEncryption.org standard, as SEAL enforces with tc128), depth one:
 * - `ckks-8192` (default): q = 60+40+60 bits, values at scale 2^40; fastest; masks of ±2^16 hide a
 *   slot only statistically, and decrypted values must never be echoed raw (Li–Micciancio 2021).
 * - `bfv-8192` (strict): SEAL's BFV default q (218 bits), a 50-bit batching prime t, fixed point
 *   2^-16 for encrypted values and 2^-12 for multipliers; exact, masks uniform mod t hide perfectly.
 * A parameter set is named, never negotiated: a peer picks one of these, and its id (SHA-256 of the
 * canonical JSON) travels with every message so a ciphertext under other parameters is refused.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalJsonBytes } from '../canonical-json.ts';

export type HeScheme = 'ckks' | 'bfv';
export type HeParamsName = 'ckks-8192' | 'bfv-8192';

export interface HeParams {
  readonly name: HeParamsName;
  readonly scheme: HeScheme;
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient-modulus primes, the last one being SEAL's special (key) prime; empty means SEAL's BFV default. */
  readonly coeffModulusBits: readonly number[];
  /** BFV only: bit size of the batching plain modulus t. */
  readonly plainModulusBits: number;
  /** log2 of the scale of encrypted values (CKKS scale, BFV fixed point). */
  readonly valueScaleBits: number;
  /** log2 of the scale of plaintext multipliers. */
  readonly multiplierScaleBits: number;
  /** CKKS only: masks are uniform in ±2^maskBits per slot (BFV masks are uniform mod t). */
  readonly maskBits: number;
}

export const HE_PARAMS: Readonly<Record<HeParamsName, HeParams>> = {
  'ckks-8192': {
    name: 'ckks-8192',
    scheme: 'ckks',
    polyModulusDegree: 8192,
    coeffModulusBits: [60, 40, 60],
    plainModulusBits: 0,
    valueScaleBits: 40,
    multiplierScaleBits: 40,
    maskBits: 16,
  },
  'bfv-8192': {
    name: 'bfv-8192',
    scheme: 'bfv',
    polyModulusDegree: 8192,
    coeffModulusBits: [],
    plainModulusBits: 50,
    valueScaleBits: 16,
    multiplierScaleBits: 12,
    maskBits: 0,
  },
};

export function isHeParamsName(value: unknown): value is HeParamsName {
  return typeof value === 'string' && Object.hasOwn(HE_PARAMS, value);
}

/** Hex SHA-256 of the parameter set's canonical JSON. */
export function heParamsId(params: HeParams): string {
  return Buffer.from(sha256(canonicalJsonBytes({ ...params, coeffModulusBits: [...params.coeffModulusBits] }))).toString('hex');
}
