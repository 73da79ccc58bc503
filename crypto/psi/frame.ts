/**
 * Binary framing of PSI messages between two nodes (reference/psi.md, Part 3 point 4): a fixed
 * header, `count × elementBytes` body bytes, a SHA-256 checksum of header‖body, and the sender node's
 * Ed25519 signature over header‖body‖checksum.
 *
 * Header (51 bytes, integers big-endian):
 *   magic "APSI" | version u8 | kind u8 | suite u8 | id type u8 | collaboration id 16 | run id 16 |
 *   sequence u32 | flags u8 (bit 0: last frame; others zero) | count u32 | element bytes u16
 *
 * Guarantee: a decoded frame was signed by the expected peer for this collaboration, run, stream
 * position and element kind; anything else throws PsiFrameError with a stable code. The checksum is
 * checked before the signature so that line damage is reported as such and costs no signature check.
 * Sizes are checked before any hashing, so an oversized frame costs nothing but its header.
 * Known weakness: frames are not encrypted; they carry blinded group elements only, which the
 * transport (TLS between nodes) protects in transit.
 */
import { createHash } from 'node:crypto';
import { ED25519_SIGNATURE_BYTES, verify } from '../ed25519.ts';
import { PsiFrameError } from './frame-error.ts';
import type { PsiSuite } from './suites.ts';
import { bytesToUuid, sameUuid, uuidToBytes, UUID_BYTES } from './uuid-bytes.ts';

export { PsiFrameError, psiFrameErrorCodes, type PsiFrameErrorCode } from './frame-error.ts';

/** Codes are part of the wire format: only ever add, never renumber. `sum`: one group element summing a set (count-only runs). */
export const PSI_FRAME_KINDS = { blinded: 1, 'double-blinded': 2, truncated: 3, tags: 4, payload: 5, gcs: 6, sum: 7 } as const;
export const PSI_SUITE_CODES = { ristretto255: 1, 'x25519-elligator2': 2 } as const satisfies Record<PsiSuite, number>;
export const PSI_ID_TYPE_CODES = {
  email: 1,
  phone: 2,
  idfa: 3,
  oaid: 4,
  imei: 5,
  android_id: 6,
  wechat_unionid: 7,
  member_id: 8,
  hashed: 9,
} as const;

export type PsiFrameKind = keyof typeof PSI_FRAME_KINDS;
export type PsiFrameSuite = PsiSuite;
export type PsiFrameIdType = keyof typeof PSI_ID_TYPE_CODES;

export const PSI_FRAME_VERSION = 1;
export const PSI_FRAME_HEADER_BYTES = 51;
const CHECKSUM_BYTES = 32;
export const PSI_FRAME_TRAILER_BYTES = CHECKSUM_BYTES + ED25519_SIGNATURE_BYTES;
/** 65,536 elements: 2 MiB of 32-byte group elements per frame. */
export const PSI_FRAME_MAX_ELEMENTS = 65_536;
/** Caps the body whatever the element size, so one frame never asks for more than 16 MiB. */
export const PSI_FRAME_MAX_BODY_BYTES = 16 * 1024 * 1024;

const MAGIC = Uint8Array.from([0x41, 0x50, 0x53, 0x49]); // "APSI"
const LAST_FLAG = 0x01;
const at = { version: 4, kind: 5, suite: 6, idType: 7, collaboration: 8, run: 24, sequence: 40, flags: 44, count: 45, elementBytes: 49 } as const;

export interface PsiFrameHeader {
  readonly kind: PsiFrameKind;
  readonly suite: PsiFrameSuite;
  readonly idType: PsiFrameIdType;
  readonly collaborationId: string;
  readonly runId: string;
  readonly sequence: number;
  readonly last: boolean;
  readonly count: number;
  readonly elementBytes: number;
}

export interface PsiFrameExpectation {
  /** The peer node's Ed25519 public key. */
  readonly publicKey: Uint8Array;
  readonly collaborationId: string;
  readonly runId: string;
  /** The next sequence number this stream expects. */
  readonly sequence: number;
  readonly kind?: PsiFrameKind;
  readonly suite?: PsiFrameSuite;
  readonly idType?: PsiFrameIdType;
  readonly elementBytes?: number;
  /** At most PSI_FRAME_MAX_ELEMENTS. */
  readonly maxCount: number;
}

const reverse = <Name extends string>(table: Record<Name, number>): Map<number, Name> =>
  new Map(Object.entries<number>(table).map(([name, code]) => [code, name as Name]));
const kindNames = reverse(PSI_FRAME_KINDS);
const suiteNames = reverse(PSI_SUITE_CODES);
const idTypeNames = reverse(PSI_ID_TYPE_CODES);

const fail = (code: ConstructorParameters<typeof PsiFrameError>[0], detail: string): never => {
  throw new PsiFrameError(code, detail);
};

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`${what} must be a u32`);
}

function checkElementBytes(elementBytes: number): void {
  if (!Number.isInteger(elementBytes) || elementBytes < 1 || elementBytes > 0xffff) throw new RangeError('element bytes must be 1 to 65535');
}

function codeOf<Name extends string>(table: Record<Name, number>, name: Name, what: string): number {
  const code = Object.hasOwn(table, name) ? table[name] : undefined;
  if (code === undefined) throw new RangeError(`unknown PSI ${what}: ${String(name)}`);
  return code;
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodePsiFrame(
  header: Omit<PsiFrameHeader, 'count'>,
  body: Uint8Array,
  signer: (message: Uint8Array) => Uint8Array,
): Uint8Array {
  checkElementBytes(header.elementBytes);
  checkU32(header.sequence, 'sequence');
  if (body.length % header.elementBytes !== 0) throw new RangeError('body length is not a multiple of the element length');
  const count = body.length / header.elementBytes;
  if (count > PSI_FRAME_MAX_ELEMENTS || body.length > PSI_FRAME_MAX_BODY_BYTES) throw new RangeError('too many elements for one frame');

  const frame = new Uint8Array(PSI_FRAME_HEADER_BYTES + body.length + PSI_FRAME_TRAILER_BYTES);
  const fields = view(frame);
  frame.set(MAGIC, 0);
  frame[at.version] = PSI_FRAME_VERSION;
  frame[at.kind] = codeOf(PSI_FRAME_KINDS, header.kind, 'frame kind');
  frame[at.suite] = codeOf(PSI_SUITE_CODES, header.suite, 'suite');
  frame[at.idType] = codeOf(PSI_ID_TYPE_CODES, header.idType, 'identifier type');
  frame.set(uuidToBytes(header.collaborationId), at.collaboration);
  frame.set(uuidToBytes(header.runId), at.run);
  fields.setUint32(at.sequence, header.sequence);
  frame[at.flags] = header.last ? LAST_FLAG : 0;
  fields.setUint32(at.count, count);
  fields.setUint16(at.elementBytes, header.elementBytes);
  frame.set(body, PSI_FRAME_HEADER_BYTES);

  const checksumAt = PSI_FRAME_HEADER_BYTES + body.length;
  frame.set(sha256(frame.subarray(0, checksumAt)), checksumAt);
  const signature = signer(frame.subarray(0, checksumAt + CHECKSUM_BYTES));
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new RangeError(`signer must return ${ED25519_SIGNATURE_BYTES} bytes`);
  frame.set(signature, checksumAt + CHECKSUM_BYTES);
  return frame;
}

/**
 * The total length of the frame whose first PSI_FRAME_HEADER_BYTES bytes are `prefix`, so that a
 * stream reader can refuse an oversized frame before reading its body.
 */
export function psiFrameLength(prefix: Uint8Array, maxCount: number): number {
  if (!Number.isInteger(maxCount) || maxCount < 0 || maxCount > PSI_FRAME_MAX_ELEMENTS) {
    throw new RangeError(`maxCount must be 0 to ${PSI_FRAME_MAX_ELEMENTS}`);
  }
  if (prefix.length < PSI_FRAME_HEADER_BYTES) fail('ACCORD_ERR_PSI_FRAME_MALFORMED', 'frame is shorter than its header');
  const fields = view(prefix);
  const count = fields.getUint32(at.count);
  const elementBytes = fields.getUint16(at.elementBytes);
  if (count > maxCount) fail('ACCORD_ERR_PSI_FRAME_TOO_LARGE', `frame holds ${count} elements; at most ${maxCount} allowed`);
  if (elementBytes === 0) fail('ACCORD_ERR_PSI_FRAME_MALFORMED', 'element length is zero');
  const bodyBytes = count * elementBytes;
  if (bodyBytes > PSI_FRAME_MAX_BODY_BYTES) fail('ACCORD_ERR_PSI_FRAME_TOO_LARGE', `frame body of ${bodyBytes} bytes exceeds ${PSI_FRAME_MAX_BODY_BYTES}`);
  return PSI_FRAME_HEADER_BYTES + bodyBytes + PSI_FRAME_TRAILER_BYTES;
}

/** Checks in the order: sizes, magic and version, checksum, signature, binding, sequence. `body` is a view into `bytes`. */
export function decodePsiFrame(bytes: Uint8Array, expect: PsiFrameExpectation): { header: PsiFrameHeader; body: Uint8Array } {
  const length = psiFrameLength(bytes, expect.maxCount);
  if (bytes.length !== length) fail('ACCORD_ERR_PSI_FRAME_MALFORMED', `frame is ${bytes.length} bytes; its header announces ${length}`);
  if (!MAGIC.every((byte, i) => bytes[i] === byte)) fail('ACCORD_ERR_PSI_FRAME_MALFORMED', 'not an Accord PSI frame (magic)');
  if (bytes[at.version] !== PSI_FRAME_VERSION) fail('ACCORD_ERR_PSI_FRAME_MALFORMED', `unsupported PSI frame version ${bytes[at.version]}`);

  const checksumAt = length - PSI_FRAME_TRAILER_BYTES;
  const signatureAt = checksumAt + CHECKSUM_BYTES;
  const checksum = sha256(bytes.subarray(0, checksumAt));
  if (Buffer.compare(checksum, bytes.subarray(checksumAt, signatureAt)) !== 0) fail('ACCORD_ERR_PSI_FRAME_CHECKSUM', 'frame checksum does not match');
  if (!verify(bytes.subarray(signatureAt), bytes.subarray(0, signatureAt), expect.publicKey)) {
    fail('ACCORD_ERR_PSI_FRAME_SIGNATURE', 'frame signature does not verify under the peer key');
  }

  const header = readHeader(bytes);
  checkBinding(header, expect);
  if (header.sequence < expect.sequence) fail('ACCORD_ERR_PSI_FRAME_REPLAY', `frame ${header.sequence} was already received`);
  if (header.sequence > expect.sequence) fail('ACCORD_ERR_PSI_FRAME_OUT_OF_ORDER', `frame ${header.sequence} arrived; ${expect.sequence} expected`);
  return { header, body: bytes.subarray(PSI_FRAME_HEADER_BYTES, checksumAt) };
}

function readHeader(bytes: Uint8Array): PsiFrameHeader {
  const fields = view(bytes);
  const kind = kindNames.get(bytes[at.kind]!) ?? fail('ACCORD_ERR_PSI_FRAME_MALFORMED', `unknown frame kind ${bytes[at.kind]}`);
  const suite = suiteNames.get(bytes[at.suite]!) ?? fail('ACCORD_ERR_PSI_FRAME_MALFORMED', `unknown suite ${bytes[at.suite]}`);
  const idType = idTypeNames.get(bytes[at.idType]!) ?? fail('ACCORD_ERR_PSI_FRAME_MALFORMED', `unknown identifier type ${bytes[at.idType]}`);
  const flags = bytes[at.flags]!;
  if ((flags & ~LAST_FLAG) !== 0) fail('ACCORD_ERR_PSI_FRAME_MALFORMED', 'reserved flag bits are set');
  return {
    kind,
    suite,
    idType,
    collaborationId: bytesToUuid(bytes.subarray(at.collaboration, at.collaboration + UUID_BYTES)),
    runId: bytesToUuid(bytes.subarray(at.run, at.run + UUID_BYTES)),
    sequence: fields.getUint32(at.sequence),
    last: (flags & LAST_FLAG) !== 0,
    count: fields.getUint32(at.count),
    elementBytes: fields.getUint16(at.elementBytes),
  };
}

function checkBinding(header: PsiFrameHeader, expect: PsiFrameExpectation): void {
  const mismatches = [
    !sameUuid(header.collaborationId, expect.collaborationId) && 'collaboration',
    !sameUuid(header.runId, expect.runId) && 'run',
    expect.kind !== undefined && header.kind !== expect.kind && 'kind',
    expect.suite !== undefined && header.suite !== expect.suite && 'suite',
    expect.idType !== undefined && header.idType !== expect.idType && 'identifier type',
    expect.elementBytes !== undefined && header.elementBytes !== expect.elementBytes && 'element length',
  ].filter((mismatch): mismatch is string => mismatch !== false);
  if (mismatches.length > 0) fail('ACCORD_ERR_PSI_FRAME_BINDING', `frame does not match the expected ${mismatches.join(', ')}`);
}

/**
 * Splits packed elements into frame bodies of at most `maxPerFrame` elements (views, no copies).
 * An empty input still yields one empty last body, so the receiver always sees the end of the stream.
 */
export function* framesOf(
  packed: Uint8Array,
  elementBytes: number,
  maxPerFrame: number = PSI_FRAME_MAX_ELEMENTS,
): Generator<{ index: number; body: Uint8Array; last: boolean }> {
  checkElementBytes(elementBytes);
  if (!Number.isInteger(maxPerFrame) || maxPerFrame < 1 || maxPerFrame > PSI_FRAME_MAX_ELEMENTS) {
    throw new RangeError(`maxPerFrame must be 1 to ${PSI_FRAME_MAX_ELEMENTS}`);
  }
  if (packed.length % elementBytes !== 0) throw new RangeError('packed length is not a multiple of the element length');
  const step = Math.min(maxPerFrame, Math.floor(PSI_FRAME_MAX_BODY_BYTES / elementBytes)) * elementBytes;
  let index = 0;
  for (let start = 0; ; start += step, index += 1) {
    const end = Math.min(start + step, packed.length);
    yield { index, body: packed.subarray(start, end), last: end === packed.length };
    if (end === packed.length) return;
  }
}
