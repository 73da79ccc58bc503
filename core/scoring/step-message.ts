/**
 * The bytes one party hands the other in a scoring step: a header binding the message to its model,
 * step, sender, kind and HE parameter set (and, for a reply, to the digest of the message it
 * answers), then a list of parts (ciphertexts, or packed numbers). The transport layer signs the
 * whole message; this layer refuses any message whose header is not exactly the one expected, so a
 * message replayed into another step, model or role is refused before anything is decrypted.
 * Layout: "ACSM", version 1, u32 header length, header as canonical JSON, u32 part count, then
 * (u32 length, bytes) per part; integers big-endian.
 */
import { createHash } from 'node:crypto';
import { canonicalJsonBytes } from '../../crypto/canonical-json.ts';
import { ScoringError } from './scoring-errors.ts';

export type StepSender = 'brand' | 'provider';
export type StepKind = 'brand-columns' | 'residuals' | 'products' | 'masked-sums';

export interface StepHeader {
  readonly modelId: string;
  readonly step: number;
  readonly sender: StepSender;
  readonly kind: StepKind;
  readonly paramsId: string;
  /** Digest of the message this one answers; null for a message that answers none. */
  readonly inputDigest: string | null;
}

/** Headers of one model's messages under one parameter set. */
export function stepHeaders(modelId: string, paramsId: string) {
  return (sender: StepSender, kind: StepKind, step: number, inputDigest: string | null): StepHeader => ({ modelId, step, sender, kind, paramsId, inputDigest });
}

export interface DecodedStepMessage {
  readonly header: StepHeader;
  readonly parts: Uint8Array[];
}

export interface PartLimits {
  /** Exactly this many parts, or any number from 0 to max. */
  readonly count: number | { readonly max: number };
  readonly maxPartBytes: number;
}

const MAGIC = [0x41, 0x43, 0x53, 0x4d];
const VERSION = 1;
const MAX_HEADER_BYTES = 1024;

export function encodeStepMessage(header: StepHeader, parts: readonly Uint8Array[]): Uint8Array {
  const json = canonicalJsonBytes(header);
  const size = MAGIC.length + 1 + 4 + json.length + 4 + parts.reduce((total, part) => total + 4 + part.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  view.setUint32(5, json.length);
  out.set(json, 9);
  let offset = 9 + json.length;
  view.setUint32(offset, parts.length);
  offset += 4;
  for (const part of parts) {
    view.setUint32(offset, part.length);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** Hex SHA-256 of a whole message: what a reply's header names as its input. */
export function messageDigest(message: Uint8Array): string {
  return createHash('sha256').update(message).digest('hex');
}

const malformed = (detail: string) => new ScoringError('ACCORD_ERR_SCORING_MESSAGE_MALFORMED', detail);

/** The message's parts, once its header matches `expected` field for field and its parts fit `limits`. */
export function decodeStepMessage(message: Uint8Array, expected: StepHeader, limits: PartLimits): DecodedStepMessage {
  const maxCount = typeof limits.count === 'number' ? limits.count : limits.count.max;
  if (message.length > 9 + MAX_HEADER_BYTES + 4 + maxCount * (4 + limits.maxPartBytes)) throw malformed(`${message.length} bytes are more than this message may hold`);
  if (message.length < 13 || MAGIC.some((byte, i) => message[i] !== byte) || message[4] !== VERSION) throw malformed('not an Accord scoring step message');
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const headerLength = view.getUint32(5);
  if (headerLength > MAX_HEADER_BYTES || 9 + headerLength + 4 > message.length) throw malformed('header length out of range');
  const header = parseHeader(message.subarray(9, 9 + headerLength));
  for (const field of Object.keys(expected) as (keyof StepHeader)[]) {
    if (header[field] !== expected[field]) {
      throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_BINDING', `${field} is ${JSON.stringify(header[field])}, expected ${JSON.stringify(expected[field])}`);
    }
  }
  let offset = 9 + headerLength;
  const count = view.getUint32(offset);
  offset += 4;
  if (typeof limits.count === 'number' ? count !== limits.count : count > limits.count.max) throw malformed(`${count} parts`);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > message.length) throw malformed('truncated');
    const length = view.getUint32(offset);
    if (length > limits.maxPartBytes || offset + 4 + length > message.length) throw malformed(`part ${i} is ${length} bytes`);
    parts.push(message.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  if (offset !== message.length) throw malformed('trailing bytes');
  return { header, parts };
}

function parseHeader(bytes: Uint8Array): StepHeader {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed('header is not JSON');
  }
  const header = value as Record<string, unknown>;
  const wellFormed =
    typeof header === 'object' &&
    header !== null &&
    typeof header.modelId === 'string' &&
    Number.isSafeInteger(header.step) &&
    typeof header.sender === 'string' &&
    typeof header.kind === 'string' &&
    typeof header.paramsId === 'string' &&
    (header.inputDigest === null || typeof header.inputDigest === 'string') &&
    Object.keys(header).length === 6;
  if (!wellFormed) throw malformed('header fields');
  return header as unknown as StepHeader;
}

/** Numbers as one part: little-endian float64. */
export function packNumbers(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((value, i) => view.setFloat64(8 * i, value, true));
  return out;
}

export function unpackNumbers(part: Uint8Array, count: number): Float64Array {
  if (part.length !== count * 8) throw malformed(`expected ${count} numbers, got ${part.length} bytes`);
  const view = new DataView(part.buffer, part.byteOffset, part.byteLength);
  const values = Float64Array.from({ length: count }, (_, i) => view.getFloat64(8 * i, true));
  if (!values.every(Number.isFinite)) throw malformed('a number is not finite');
  return values;
}
