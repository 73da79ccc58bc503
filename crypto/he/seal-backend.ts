/**
 * HeBackend on node-seal 6.0.3 (Microsoft SEAL 4.1 compiled to WASM; 7.x does not load on Node 20).
 * One WASM instance per thread, loaded once; each has its own heap of at most 4 GiB, which never
 * shrinks (freed blocks are reused), so every SEAL object, including the parms-id handles SEAL's
 * getters return, is deleted on the path that created it.
 * Serialised ciphertexts are uncompressed (compression saves nothing at the last level and would
 * let a small message inflate), and bytes are checked before SEAL parses them: SEAL aborts on a
 * truncated buffer rather than throwing, and accepts trailing bytes.
 * Uses the "throws" build: SEAL refuses to produce a transparent (unencrypted) ciphertext.
 * Known weaknesses: CKKS decryption is approximate and its output must never be echoed to the
 * party that made the ciphertext (Li–Micciancio 2021); callers release only noised sums.
 */
import sealModule from 'node-seal';
import type { HeBackend, HeCiphertext, HeCiphertextKind, HeContext, HePlaintext, HeSecretKey, RandomFill } from './he-backend.ts';
import { HeError } from './he-error.ts';
import { HE_PARAMS, heParamsId, type HeParams } from './he-params.ts';

// node-seal's types declare an ES default export, but the package is CommonJS whose module.exports
// is the loader itself, which is what Node hands an ES default import.
const SEAL = sealModule as unknown as typeof sealModule.default;
type Seal = Awaited<ReturnType<typeof SEAL>>;
type SealContext = ReturnType<Seal['Context']>;
type SealCipherText = ReturnType<Seal['CipherText']>;
type SealPlainText = ReturnType<Seal['PlainText']>;
type SealParmsId = ReturnType<Seal['ParmsIdType']>;
type SealSecretKey = ReturnType<Seal['SecretKey']>;

let loading: Promise<Seal> | undefined;

/** The node-seal backend of this thread (the WASM module is instantiated on first use). */
export async function loadSealBackend(): Promise<HeBackend> {
  loading ??= SEAL();
  const seal = await loading;
  return { name: `node-seal ${seal.Version}`, createContext: (name) => new SealContextImpl(seal, HE_PARAMS[name]) };
}

// ---------------------------------------------------------------------------------------------
// Serialised form: SEAL's 16-byte header (magic 0xA15E, header size 16, version 4.1, compression,
// reserved, total size u64), then for a ciphertext its parms_id (4 × u64) first.

const HEADER_BYTES = 16;
const PARMS_ID_WORDS = 4;
/** Ciphertext members and array headers around the coefficients; the limits allow 256 bytes. */
const SERIAL_OVERHEAD = 256;

function checkHeader(bytes: Uint8Array, maxBytes: number): DataView {
  if (bytes.length > maxBytes) throw new HeError('ACCORD_ERR_HE_TOO_LARGE', `${bytes.length} bytes exceed the ${maxBytes} allowed`);
  if (bytes.length < HEADER_BYTES + PARMS_ID_WORDS * 8) throw new HeError('ACCORD_ERR_HE_MALFORMED', `${bytes.length} bytes are too few`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wellFormed = view.getUint16(0, true) === 0xa15e && view.getUint8(2) === HEADER_BYTES && view.getUint8(3) === 4 && view.getUint8(4) === 1;
  if (!wellFormed) throw new HeError('ACCORD_ERR_HE_MALFORMED', 'not a SEAL 4.1 serialisation');
  if (view.getUint8(5) !== 0) throw new HeError('ACCORD_ERR_HE_MALFORMED', 'compressed serialisations are refused');
  if (view.getBigUint64(8, true) !== BigInt(bytes.length)) throw new HeError('ACCORD_ERR_HE_MALFORMED', 'declared size differs from the byte count');
  return view;
}

const sameWords = (a: BigUint64Array, b: BigUint64Array) => a.length === b.length && a.every((word, i) => word === b[i]);

// ---------------------------------------------------------------------------------------------

class SealCiphertextHandle implements HeCiphertext {
  /** BFV products are computed in NTT form; CKKS ciphertexts always are. */
  constructor(
    readonly ct: SealCipherText,
    public ntt: boolean,
  ) {}

  dispose(): void {
    this.ct.delete();
  }
}

class SealPlaintextHandle implements HePlaintext {
  constructor(
    readonly pt: SealPlainText,
    readonly isZero: boolean,
  ) {}

  dispose(): void {
    this.pt.delete();
  }
}

function ciphertextOf(handle: HeCiphertext): SealCiphertextHandle {
  if (!(handle instanceof SealCiphertextHandle)) throw new TypeError('not a ciphertext of the node-seal backend');
  return handle;
}

function plaintextOf(handle: HePlaintext): SealPlaintextHandle {
  if (!(handle instanceof SealPlaintextHandle)) throw new TypeError('not a plaintext of the node-seal backend');
  return handle;
}

/** Round(values · 2^bits), padded with zeros to `slots`, for BFV batching; refuses what int32 cannot hold. */
function fixedPoint(values: Float64Array, bits: number, slots: number): Int32Array {
  if (values.length > slots) throw new RangeError(`${values.length} values exceed ${slots} slots`);
  const out = new Int32Array(slots);
  for (let i = 0; i < values.length; i++) {
    const scaled = Math.round(values[i]! * 2 ** bits);
    if (!(Math.abs(scaled) < 2 ** 31)) throw new HeError('ACCORD_ERR_HE_VALUE_RANGE', `value ${values[i]} does not fit fixed point 2^-${bits}`);
    out[i] = scaled;
  }
  return out;
}

class SealContextImpl implements HeContext {
  readonly paramsId: string;
  readonly slots: number;
  private readonly context: SealContext;
  private readonly evaluator: ReturnType<Seal['Evaluator']>;
  private readonly ckks: ReturnType<Seal['CKKSEncoder']> | undefined;
  private readonly batch: ReturnType<Seal['BatchEncoder']> | undefined;
  private readonly firstParmsId: SealParmsId;
  private readonly lastParmsId: SealParmsId;
  private readonly levelWords: Record<HeCiphertextKind, BigUint64Array>;
  private readonly maxBytes: Record<HeCiphertextKind | 'key', number>;
  /** BFV plain modulus t (below 2^53, so exact as a number). */
  private readonly plainModulus: number;
  /** CKKS scale of a reply after rescaling, computed as SEAL does (product scale / dropped prime). */
  private readonly replyScale: number;
  private disposed = false;

  constructor(
    private readonly seal: Seal,
    readonly params: HeParams,
  ) {
    this.paramsId = heParamsId(params);
    const degree = params.polyModulusDegree;
    const parms = seal.EncryptionParameters(params.scheme === 'ckks' ? seal.SchemeType.ckks : seal.SchemeType.bfv);
    try {
      parms.setPolyModulusDegree(degree);
      const primes = params.coeffModulusBits.length > 0 ? seal.CoeffModulus.Create(degree, Int32Array.from(params.coeffModulusBits)) : seal.CoeffModulus.BFVDefault(degree, seal.SecurityLevel.tc128);
      try {
        parms.setCoeffModulus(primes);
      } finally {
        primes.delete();
      }
      if (params.scheme === 'bfv') {
        const t = seal.PlainModulus.Batching(degree, params.plainModulusBits);
        try {
          parms.setPlainModulus(t);
        } finally {
          t.delete();
        }
      }
      const moduli = parms.coeffModulus;
      this.context = seal.Context(parms, true, seal.SecurityLevel.tc128);
      if (!this.context.parametersSet()) throw new Error(`SEAL refused parameter set ${params.name}`);
      const plain = parms.plainModulus;
      try {
        this.plainModulus = params.scheme === 'bfv' ? Number(plain.value) : 0;
      } finally {
        plain.delete();
      }
      // moduli = data primes then the special prime; the first rescale drops the last data prime.
      this.replyScale = 2 ** (params.valueScaleBits + params.multiplierScaleBits) / Number(moduli[moduli.length - 2]!);
    } finally {
      parms.delete();
    }
    this.evaluator = seal.Evaluator(this.context);
    this.ckks = params.scheme === 'ckks' ? seal.CKKSEncoder(this.context) : undefined;
    this.batch = params.scheme === 'bfv' ? seal.BatchEncoder(this.context) : undefined;
    this.slots = (this.ckks ?? this.batch)!.slotCount;
    this.firstParmsId = this.context.firstParmsId;
    this.lastParmsId = this.context.lastParmsId;
    this.levelWords = { fresh: this.firstParmsId.values, reply: this.lastParmsId.values };
    const primesAt = (data: ReturnType<SealContext['getContextData']>) => {
      const parmsAt = data.parms;
      try {
        return parmsAt.coeffModulus.length;
      } finally {
        parmsAt.delete();
        data.delete();
      }
    };
    const words = (primes: number) => 2 * degree * primes * 8 + SERIAL_OVERHEAD;
    this.maxBytes = {
      fresh: words(primesAt(this.context.firstContextData)),
      reply: words(primesAt(this.context.lastContextData)),
      key: words(primesAt(this.context.keyContextData)),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.ckks?.delete();
    this.batch?.delete();
    this.evaluator.delete();
    this.firstParmsId.delete();
    this.lastParmsId.delete();
    this.context.delete();
  }

  // -------------------------------------------------------------------------------------------
  // Bytes

  maxCiphertextBytes(kind: HeCiphertextKind): number {
    return this.maxBytes[kind];
  }

  readCiphertext(bytes: Uint8Array, kind: HeCiphertextKind): HeCiphertext {
    const view = checkHeader(bytes, this.maxBytes[kind]);
    const declared = BigUint64Array.from({ length: PARMS_ID_WORDS }, (_, i) => view.getBigUint64(HEADER_BYTES + 8 * i, true));
    if (!sameWords(declared, this.levelWords[kind])) {
      throw new HeError('ACCORD_ERR_HE_WRONG_PARAMS', `not a ${kind} ciphertext of parameter set ${this.params.name}`);
    }
    const ct = this.seal.CipherText();
    try {
      ct.loadArray(this.context, bytes);
    } catch (error) {
      ct.delete();
      throw new HeError('ACCORD_ERR_HE_MALFORMED', `SEAL refused the ciphertext: ${error instanceof Error ? error.message : String(error)}`);
    }
    const handle = new SealCiphertextHandle(ct, ct.isNttForm);
    const expectedScale = this.params.scheme === 'bfv' ? 1 : kind === 'fresh' ? 2 ** this.params.valueScaleBits : this.replyScale;
    const problem =
      ct.size !== 2 ? `${ct.size} polynomials` : ct.isTransparent ? 'transparent' : ct.isNttForm !== (this.params.scheme === 'ckks') ? 'wrong NTT form' : ct.scale !== expectedScale ? `scale ${ct.scale}` : undefined;
    if (problem) {
      handle.dispose();
      throw new HeError('ACCORD_ERR_HE_MALFORMED', `not a ${kind} ciphertext: ${problem}`);
    }
    return handle;
  }

  writeCiphertext(ciphertext: HeCiphertext): Uint8Array {
    return ciphertextOf(ciphertext).ct.saveArray(this.seal.ComprModeType.none);
  }

  // -------------------------------------------------------------------------------------------
  // Provider-side arithmetic

  encodeMultiplier(values: Float64Array): HePlaintext {
    if (values.length > this.slots) throw new RangeError(`${values.length} values exceed ${this.slots} slots`);
    if (this.ckks) {
      const pt = this.ckks.encode(values, 2 ** this.params.multiplierScaleBits) as SealPlainText;
      return new SealPlaintextHandle(pt, pt.isZero);
    }
    const coefficients = this.batch!.encode(fixedPoint(values, this.params.multiplierScaleBits, this.slots)) as SealPlainText;
    try {
      // Products are taken in NTT form: a pointwise multiply, about six times faster (reference §3.2).
      const isZero = coefficients.isZero;
      return new SealPlaintextHandle(isZero ? coefficients.clone() : (this.evaluator.plainTransformToNtt(coefficients, this.firstParmsId) as SealPlainText), isZero);
    } finally {
      coefficients.delete();
    }
  }

  addValues(ciphertext: HeCiphertext, values: Float64Array): void {
    const handle = ciphertextOf(ciphertext);
    if (handle.ntt && this.batch) throw new Error('values are added before a BFV ciphertext is multiplied');
    const pt = this.encodeAt(values, handle.ct.scale, this.params.valueScaleBits);
    try {
      this.evaluator.addPlain(handle.ct, pt, handle.ct);
    } finally {
      pt.delete();
    }
  }

  multiplyAccumulate(accumulator: HeCiphertext | undefined, ciphertext: HeCiphertext, multiplier: HePlaintext): HeCiphertext {
    const source = ciphertextOf(ciphertext);
    const plain = plaintextOf(multiplier);
    if (plain.isZero) throw new RangeError('a product with a zero multiplier would be transparent; skip it');
    if (!source.ntt) {
      this.evaluator.cipherTransformToNtt(source.ct, source.ct);
      source.ntt = true;
    }
    if (!accumulator) return new SealCiphertextHandle(this.evaluator.multiplyPlain(source.ct, plain.pt) as SealCipherText, true);
    const product = this.evaluator.multiplyPlain(source.ct, plain.pt) as SealCipherText;
    try {
      const target = ciphertextOf(accumulator).ct;
      this.evaluator.add(target, product, target);
    } finally {
      product.delete();
    }
    return accumulator;
  }

  maskReply(accumulator: HeCiphertext, random: RandomFill, zeroSum: boolean): number {
    const handle = ciphertextOf(accumulator);
    return this.ckks ? this.maskCkks(handle, random, zeroSum) : this.maskBfv(handle, random, zeroSum);
  }

  /** The mask is added before the rescale, at the product's scale, so one rescale serves both. */
  private maskCkks(handle: SealCiphertextHandle, random: RandomFill, zeroSum: boolean): number {
    const bytes = new Uint8Array(this.slots * 8);
    random(bytes);
    const words = new DataView(bytes.buffer);
    const mask = new Float64Array(this.slots);
    const span = 2 ** (this.params.maskBits + 1);
    let sum = 0;
    for (let i = 0; i < this.slots; i++) {
      const unit = ((words.getUint32(8 * i, true) & 0x1f_ffff) * 0x1_0000_0000 + words.getUint32(8 * i + 4, true)) / 2 ** 53;
      mask[i] = unit * span - span / 2;
      sum += mask[i]!;
    }
    if (zeroSum) {
      const mean = sum / this.slots;
      for (let i = 0; i < this.slots; i++) mask[i]! -= mean;
      sum = 0;
    }
    const pt = this.ckks!.encode(mask, handle.ct.scale) as SealPlainText;
    try {
      this.evaluator.addPlain(handle.ct, pt, handle.ct);
    } finally {
      pt.delete();
    }
    this.evaluator.rescaleToNext(handle.ct, handle.ct);
    return sum;
  }

  /** Masks uniform mod t (rejection sampling on 50-bit words), added at the last level. */
  private maskBfv(handle: SealCiphertextHandle, random: RandomFill, zeroSum: boolean): number {
    if (handle.ntt) {
      this.evaluator.cipherTransformFromNtt(handle.ct, handle.ct);
      handle.ntt = false;
    }
    this.evaluator.cipherModSwitchTo(handle.ct, this.lastParmsId, handle.ct);
    const t = this.plainModulus;
    const highBits = 2 ** (this.params.plainModulusBits - 32) - 1;
    const bytes = new Uint8Array(this.slots * 8);
    random(bytes);
    const word = new Uint8Array(8);
    const draw = (source: Uint8Array): number => {
      const view = new DataView(source.buffer, source.byteOffset, 8);
      const value = (view.getUint32(0, true) & highBits) * 0x1_0000_0000 + view.getUint32(4, true);
      // Rejection keeps the mask exactly uniform mod t; a rejected word is replaced from the stream.
      if (value < t) return value;
      random(word);
      return draw(word);
    };
    const mask = new BigUint64Array(this.slots);
    let sum = 0;
    for (let i = 0; i < this.slots; i++) {
      const value = zeroSum && i === this.slots - 1 ? (t - sum) % t : draw(bytes.subarray(8 * i));
      mask[i] = BigInt(value);
      sum = (sum + value) % t;
    }
    const pt = this.batch!.encode(mask) as SealPlainText;
    try {
      this.evaluator.addPlain(handle.ct, pt, handle.ct);
    } finally {
      pt.delete();
    }
    return sum / 2 ** this.productBits();
  }

  reduceSum(value: number): number {
    if (this.ckks) return value;
    const modulus = this.plainModulus / 2 ** this.productBits();
    return value - modulus * Math.round(value / modulus);
  }

  private productBits(): number {
    return this.params.valueScaleBits + this.params.multiplierScaleBits;
  }

  /** A plaintext to add to a ciphertext of `scale` (CKKS) or fixed point `bits` (BFV). */
  private encodeAt(values: Float64Array, scale: number, bits: number): SealPlainText {
    if (this.ckks) return this.ckks.encode(values, scale) as SealPlainText;
    return this.batch!.encode(fixedPoint(values, bits, this.slots)) as SealPlainText;
  }

  // -------------------------------------------------------------------------------------------
  // Keys

  generateSecretKey(): HeSecretKey {
    const generator = this.seal.KeyGenerator(this.context);
    try {
      return new SealSecretKeyImpl(this, generator.secretKey());
    } finally {
      generator.delete();
    }
  }

  loadSecretKey(bytes: Uint8Array): HeSecretKey {
    checkHeader(bytes, this.maxBytes.key);
    const key = this.seal.SecretKey();
    try {
      key.loadArray(this.context, bytes);
    } catch (error) {
      key.delete();
      throw new HeError('ACCORD_ERR_HE_MALFORMED', `SEAL refused the secret key: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new SealSecretKeyImpl(this, key);
  }

  /** Internals the key holder's side needs; not part of HeContext. */
  keyInternals() {
    return { seal: this.seal, context: this.context, ckks: this.ckks, batch: this.batch, productBits: this.productBits(), plainModulus: this.plainModulus };
  }
}

class SealSecretKeyImpl implements HeSecretKey {
  private readonly encryptor: ReturnType<Seal['Encryptor']>;
  private readonly decryptor: ReturnType<Seal['Decryptor']>;

  constructor(
    private readonly owner: SealContextImpl,
    private readonly key: SealSecretKey,
  ) {
    const { seal, context } = owner.keyInternals();
    // node-seal's Encryptor wants a public key even for symmetric use; it never leaves this object.
    const generator = seal.KeyGenerator(context, key);
    const publicKey = generator.createPublicKey();
    try {
      this.encryptor = seal.Encryptor(context, publicKey, key);
    } finally {
      publicKey.delete();
      generator.delete();
    }
    this.decryptor = seal.Decryptor(context, key);
  }

  dispose(): void {
    this.encryptor.delete();
    this.decryptor.delete();
    this.key.delete();
  }

  encrypt(values: Float64Array): Uint8Array {
    const { seal, ckks, batch } = this.owner.keyInternals();
    const { params, slots } = this.owner;
    if (values.length > slots) throw new RangeError(`${values.length} values exceed ${slots} slots`);
    const pt = (ckks ? ckks.encode(values, 2 ** params.valueScaleBits) : batch!.encode(fixedPoint(values, params.valueScaleBits, slots))) as SealPlainText;
    try {
      const serializable = this.encryptor.encryptSymmetricSerializable(pt);
      try {
        return serializable.saveArray(seal.ComprModeType.none);
      } finally {
        serializable.delete();
      }
    } finally {
      pt.delete();
    }
  }

  decrypt(bytes: Uint8Array, kind: HeCiphertextKind): Float64Array {
    const { ckks, productBits } = this.owner.keyInternals();
    const values = this.decryptRaw(bytes, kind);
    if (ckks) return values as Float64Array;
    const bits = kind === 'fresh' ? this.owner.params.valueScaleBits : productBits;
    const t = this.owner.keyInternals().plainModulus;
    return Float64Array.from(values as BigUint64Array, (word) => {
      const value = Number(word);
      return (value > t / 2 ? value - t : value) / 2 ** bits;
    });
  }

  decryptSum(bytes: Uint8Array): number {
    const { ckks, productBits, plainModulus: t } = this.owner.keyInternals();
    const values = this.decryptRaw(bytes, 'reply');
    let sum = 0;
    if (ckks) {
      for (const value of values as Float64Array) sum += value;
      return sum;
    }
    // Exact modular sum: every partial sum stays below 2t < 2^53.
    for (const word of values as BigUint64Array) sum = (sum + Number(word)) % t;
    return (sum > t / 2 ? sum - t : sum) / 2 ** productBits;
  }

  export(): Uint8Array {
    return this.key.saveArray(this.owner.keyInternals().seal.ComprModeType.none);
  }

  /** CKKS: decoded slots, each checked against the reply bound. BFV: slots mod t, after checking the noise budget. */
  private decryptRaw(bytes: Uint8Array, kind: HeCiphertextKind): Float64Array | BigUint64Array {
    const { ckks, batch } = this.owner.keyInternals();
    const handle = ciphertextOf(this.owner.readCiphertext(bytes, kind));
    try {
      if (!ckks && this.decryptor.invariantNoiseBudget(handle.ct) <= 0) {
        throw new HeError('ACCORD_ERR_HE_UNDECRYPTABLE', 'no noise budget left: not encrypted under this key, or corrupted');
      }
      const pt = this.decryptor.decrypt(handle.ct) as SealPlainText;
      try {
        if (!ckks) return batch!.decodeBigInt(pt, false) as BigUint64Array;
        const values = ckks.decode(pt);
        // A wrong key or altered bytes decode to values near the modulus, far past any mask.
        const bound = 2 ** (this.owner.params.maskBits + 2);
        if (!values.every((value) => Math.abs(value) <= bound)) {
          throw new HeError('ACCORD_ERR_HE_UNDECRYPTABLE', 'decrypted values are out of range: not encrypted under this key, or corrupted');
        }
        return values;
      } finally {
        pt.delete();
      }
    } finally {
      handle.dispose();
    }
  }
}
