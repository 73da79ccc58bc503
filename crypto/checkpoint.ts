/**
 * Signed checkpoints of an append-only log, in the text form transparency logs use (origin line,
 * tree size, base64 root hash), plus a timestamp line, signed with Ed25519. A checkpoint commits the
 * log's operator to its first `treeSize` records: handed to an auditor or a witness, it makes later
 * rewriting detectable with a consistency proof (merkle.ts).
 * Known weakness: the operator's key signs; anchoring checkpoints with a third party is what stops
 * an operator who rewrites its own log and re-signs.
 */
import { sign, verify } from './ed25519.ts';

export interface Checkpoint {
  /** Names the log, e.g. "accord/<node id>/<tenant id>/consent"; no newlines. */
  readonly origin: string;
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
}

export class CheckpointFormatError extends Error {
  readonly code = 'ACCORD_ERR_CHECKPOINT_FORMAT';
}

const ORIGIN = /^[\x21-\x7e]{1,256}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { origin, treeSize, rootHash, timestamp } = checkpoint;
  if (!ORIGIN.test(origin)) throw new RangeError('checkpoint origin must be 1 to 256 visible ASCII characters');
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError('checkpoint tree size must be a non-negative integer');
  if (rootHash.length !== 32) throw new RangeError('checkpoint root hash must be 32 bytes');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('checkpoint timestamp must be a non-negative integer');
  return new TextEncoder().encode(`${origin}\n${treeSize}\n${Buffer.from(rootHash).toString('base64')}\n${timestamp}\n`);
}

/** Strict: exactly four lines in canonical form, or CheckpointFormatError. */
export function decodeCheckpoint(body: Uint8Array): Checkpoint {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  const lines = text.split('\n');
  if (lines.length !== 5 || lines[4] !== '') throw new CheckpointFormatError('a checkpoint has four lines, each ending in a newline');
  const [origin, size, root, timestamp] = lines as [string, string, string, string];
  if (!ORIGIN.test(origin)) throw new CheckpointFormatError('bad origin line');
  if (!DECIMAL.test(size) || !Number.isSafeInteger(Number(size))) throw new CheckpointFormatError('bad tree size line');
  if (!BASE64_32.test(root)) throw new CheckpointFormatError('bad root hash line');
  if (!DECIMAL.test(timestamp) || !Number.isSafeInteger(Number(timestamp))) throw new CheckpointFormatError('bad timestamp line');
  return { origin, treeSize: Number(size), rootHash: new Uint8Array(Buffer.from(root, 'base64')), timestamp: Number(timestamp) };
}

export function signCheckpoint(checkpoint: Checkpoint, secretKey: Uint8Array): { body: Uint8Array; signature: Uint8Array } {
  const body = encodeCheckpoint(checkpoint);
  return { body, signature: sign(body, secretKey) };
}

/** The checkpoint when the signature verifies under `publicKey` and the body is well-formed; otherwise undefined. */
export function openCheckpoint(body: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Checkpoint | undefined {
  if (!verify(signature, body, publicKey)) return undefined;
  try {
    return decodeCheckpoint(body);
  } catch {
    return undefined;
  }
}
