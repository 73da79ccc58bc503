/**
 * Meta upload sessions are numbered by the client with an unsigned 64-bit id; ours is derived
 * from the engine's session id (60 bits of its SHA-256), so retrying a batch reuses its session.
 */
import { sha256Hex } from '../../core/identifiers/identifier-hashes.ts';

export function metaSessionId(sessionId: string): bigint {
  return BigInt(`0x${sha256Hex(sessionId).slice(0, 15)}`);
}
