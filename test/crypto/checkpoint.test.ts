import { describe, expect, it } from 'vitest';
import { CheckpointFormatError, decodeCheckpoint, encodeCheckpoint, openCheckpoint, signCheckpoint, type Checkpoint } from '../../crypto/checkpoint.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';

const checkpoint: Checkpoint = { origin: 'accord/node-1/tenant-1/consent', treeSize: 1234, rootHash: new Uint8Array(32).fill(7), timestamp: 1_795_000_000_000 };

describe('signed checkpoints', () => {
  it('encodes four newline-terminated lines', () => {
    expect(new TextDecoder().decode(encodeCheckpoint(checkpoint))).toBe(
      `accord/node-1/tenant-1/consent\n1234\n${Buffer.alloc(32, 7).toString('base64')}\n1795000000000\n`,
    );
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint))).toEqual(checkpoint);
  });

  it('opens only under the signing key and with the exact body', () => {
    const keys = generateSigningKeyPair();
    const { body, signature } = signCheckpoint(checkpoint, keys.secretKey);
    expect(openCheckpoint(body, signature, keys.publicKey)).toEqual(checkpoint);
    expect(openCheckpoint(body, signature, generateSigningKeyPair().publicKey)).toBeUndefined();
    const larger = encodeCheckpoint({ ...checkpoint, treeSize: 1235 });
    expect(openCheckpoint(larger, signature, keys.publicKey)).toBeUndefined();
  });

  it.each([
    ['no trailing newline', 'a\n1\n' + Buffer.alloc(32).toString('base64') + '\n5'],
    ['leading zero size', 'a\n01\n' + Buffer.alloc(32).toString('base64') + '\n5\n'],
    ['short root', 'a\n1\n' + Buffer.alloc(31).toString('base64') + '\n5\n'],
    ['extra line', 'a\n1\n' + Buffer.alloc(32).toString('base64') + '\n5\nextra\n'],
    ['space in origin', 'a b\n1\n' + Buffer.alloc(32).toString('base64') + '\n5\n'],
  ])('refuses a malformed body: %s', (_name, text) => {
    expect(() => decodeCheckpoint(new TextEncoder().encode(text))).toThrow(CheckpointFormatError);
  });

  it('refuses to encode values that would not decode', () => {
    expect(() => encodeCheckpoint({ ...checkpoint, origin: 'two\nlines' })).toThrow(RangeError);
    expect(() => encodeCheckpoint({ ...checkpoint, treeSize: -1 })).toThrow(RangeError);
    expect(() => encodeCheckpoint({ ...checkpoint, rootHash: new Uint8Array(31) })).toThrow(RangeError);
  });
});
