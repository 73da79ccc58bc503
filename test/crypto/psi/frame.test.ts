import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, sign } from '../../../crypto/ed25519.ts';
import {
  decodePsiFrame,
  encodePsiFrame,
  framesOf,
  PSI_FRAME_HEADER_BYTES,
  PSI_FRAME_MAX_ELEMENTS,
  PSI_FRAME_TRAILER_BYTES,
  PsiFrameError,
  psiFrameLength,
  type PsiFrameErrorCode,
  type PsiFrameExpectation,
  type PsiFrameHeader,
} from '../../../crypto/psi/frame.ts';

const sender = generateSigningKeyPair();
const stranger = generateSigningKeyPair();
const signer = (message: Uint8Array) => sign(message, sender.secretKey);

const header: Omit<PsiFrameHeader, 'count'> = {
  kind: 'blinded',
  suite: 'ristretto255',
  idType: 'email',
  collaborationId: '0b7e3f4c-5a61-4d2e-9c1b-7f0e2d3c4b5a',
  runId: '6f1d2c3b-4a59-4e8d-8c7b-6a5f4e3d2c1b',
  sequence: 4,
  last: false,
  elementBytes: 32,
};

const expectation: PsiFrameExpectation = {
  publicKey: sender.publicKey,
  collaborationId: header.collaborationId,
  runId: header.runId,
  sequence: 4,
  kind: 'blinded',
  suite: 'ristretto255',
  idType: 'email',
  elementBytes: 32,
  maxCount: PSI_FRAME_MAX_ELEMENTS,
};

const body = randomBytes(32 * 100);
const frame = encodePsiFrame(header, body, signer);

function refused(action: () => unknown): PsiFrameErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof PsiFrameError) return error.code;
    throw error;
  }
  throw new Error('the frame was accepted');
}

/** Rewrites checksum and signature after a header change, as a peer holding the key would. */
function resigned(bytes: Uint8Array, secretKey = sender.secretKey): Uint8Array {
  const copy = bytes.slice();
  const checksumAt = copy.length - PSI_FRAME_TRAILER_BYTES;
  copy.set(createHash('sha256').update(copy.subarray(0, checksumAt)).digest(), checksumAt);
  copy.set(sign(copy.subarray(0, checksumAt + 32), secretKey), checksumAt + 32);
  return copy;
}

const withByte = (bytes: Uint8Array, offset: number, value: number) => {
  const copy = bytes.slice();
  copy[offset] = value;
  return copy;
};

describe('PSI frames', () => {
  it('round-trips header and body', () => {
    expect(frame.length).toBe(PSI_FRAME_HEADER_BYTES + body.length + PSI_FRAME_TRAILER_BYTES);
    expect(Buffer.from(frame.subarray(0, 4)).toString('ascii')).toBe('APSI');
    const decoded = decodePsiFrame(frame, expectation);
    expect(decoded.header).toEqual({ ...header, count: 100 });
    expect(Buffer.compare(decoded.body, body)).toBe(0);
  });

  it('accepts upper-case UUIDs in expectations and reports the canonical form', () => {
    const decoded = decodePsiFrame(frame, { ...expectation, runId: header.runId.toUpperCase() });
    expect(decoded.header.runId).toBe(header.runId);
  });

  it('carries the last-frame flag and empty frames', () => {
    const last = encodePsiFrame({ ...header, last: true }, new Uint8Array(0), signer);
    const decoded = decodePsiFrame(last, expectation);
    expect(decoded.header).toMatchObject({ last: true, count: 0 });
    expect(decoded.body.length).toBe(0);
  });

  it('reports the frame length from the header alone', () => {
    expect(psiFrameLength(frame.subarray(0, PSI_FRAME_HEADER_BYTES), 100)).toBe(frame.length);
    expect(refused(() => psiFrameLength(frame.subarray(0, PSI_FRAME_HEADER_BYTES), 99))).toBe('ACCORD_ERR_PSI_FRAME_TOO_LARGE');
    expect(refused(() => psiFrameLength(frame.subarray(0, 20), 100))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
  });

  it('refuses truncated and over-long frames', () => {
    expect(refused(() => decodePsiFrame(frame.subarray(0, frame.length - 1), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
    expect(refused(() => decodePsiFrame(frame.subarray(0, 30), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
    expect(refused(() => decodePsiFrame(new Uint8Array(0), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
    const longer = new Uint8Array(frame.length + 1);
    longer.set(frame);
    expect(refused(() => decodePsiFrame(longer, expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
  });

  it('refuses an element length that does not match the frame length', () => {
    // The header now announces 100 × 33 bytes, but 100 × 32 follow.
    expect(refused(() => decodePsiFrame(withByte(frame, 50, 33), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
    expect(refused(() => decodePsiFrame(withByte(frame, 50, 0), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
  });

  it('refuses a count above the maximum before looking at checksum or signature', () => {
    expect(refused(() => decodePsiFrame(frame, { ...expectation, maxCount: 99 }))).toBe('ACCORD_ERR_PSI_FRAME_TOO_LARGE');
    // A header announcing 2^32 − 1 elements on a short frame: refused as too large, nothing hashed.
    const huge = frame.slice();
    huge.set([0xff, 0xff, 0xff, 0xff], 45);
    expect(refused(() => decodePsiFrame(huge, expectation))).toBe('ACCORD_ERR_PSI_FRAME_TOO_LARGE');
    expect(() => decodePsiFrame(frame, { ...expectation, maxCount: PSI_FRAME_MAX_ELEMENTS + 1 })).toThrow(RangeError);
  });

  it('refuses a wrong magic or version', () => {
    expect(refused(() => decodePsiFrame(withByte(frame, 0, 0x58), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
    expect(refused(() => decodePsiFrame(resigned(withByte(frame, 4, 2)), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
  });

  it('detects a flipped bit anywhere in header or body by the checksum', () => {
    for (const offset of [10, 44, PSI_FRAME_HEADER_BYTES, PSI_FRAME_HEADER_BYTES + body.length - 1]) {
      const flipped = withByte(frame, offset, frame[offset]! ^ 0x01);
      expect(refused(() => decodePsiFrame(flipped, expectation))).toBe('ACCORD_ERR_PSI_FRAME_CHECKSUM');
    }
    const checksumAt = frame.length - PSI_FRAME_TRAILER_BYTES;
    expect(refused(() => decodePsiFrame(withByte(frame, checksumAt, frame[checksumAt]! ^ 0x80), expectation))).toBe('ACCORD_ERR_PSI_FRAME_CHECKSUM');
  });

  it('refuses a frame with a valid checksum but the wrong key or an altered signature', () => {
    const forged = resigned(frame, stranger.secretKey);
    expect(refused(() => decodePsiFrame(forged, expectation))).toBe('ACCORD_ERR_PSI_FRAME_SIGNATURE');
    const signatureAt = frame.length - 64;
    expect(refused(() => decodePsiFrame(withByte(frame, signatureAt, frame[signatureAt]! ^ 0x01), expectation))).toBe(
      'ACCORD_ERR_PSI_FRAME_SIGNATURE',
    );
    expect(refused(() => decodePsiFrame(frame, { ...expectation, publicKey: new Uint8Array(32) }))).toBe('ACCORD_ERR_PSI_FRAME_SIGNATURE');
  });

  it('refuses signed frames with unknown codes or reserved flags', () => {
    for (const [offset, value] of [[5, 99], [6, 9], [7, 200], [44, 0x02]] as const) {
      expect(refused(() => decodePsiFrame(resigned(withByte(frame, offset, value)), expectation))).toBe('ACCORD_ERR_PSI_FRAME_MALFORMED');
    }
  });

  it('refuses frames bound to another collaboration, run, kind, suite, identifier type or element length', () => {
    const other = '11111111-2222-4333-8444-555555555555';
    const cases: Array<Partial<Omit<PsiFrameHeader, 'count'>>> = [
      { runId: other },
      { collaborationId: other },
      { kind: 'double-blinded' },
      { suite: 'x25519-elligator2' },
      { idType: 'phone' },
      { elementBytes: 16 },
    ];
    for (const change of cases) {
      const signed = encodePsiFrame({ ...header, ...change }, body, signer);
      expect(refused(() => decodePsiFrame(signed, expectation))).toBe('ACCORD_ERR_PSI_FRAME_BINDING');
    }
  });

  it('refuses replayed and reordered frames', () => {
    expect(refused(() => decodePsiFrame(frame, { ...expectation, sequence: 5 }))).toBe('ACCORD_ERR_PSI_FRAME_REPLAY');
    expect(refused(() => decodePsiFrame(frame, { ...expectation, sequence: 3 }))).toBe('ACCORD_ERR_PSI_FRAME_OUT_OF_ORDER');
  });

  it('refuses to encode what it could not decode', () => {
    expect(() => encodePsiFrame(header, new Uint8Array(33), signer)).toThrow(RangeError);
    expect(() => encodePsiFrame({ ...header, runId: 'not-a-uuid' }, body, signer)).toThrow(RangeError);
    expect(() => encodePsiFrame({ ...header, kind: 'nonsense' as never }, body, signer)).toThrow(RangeError);
    expect(() => encodePsiFrame({ ...header, sequence: -1 }, body, signer)).toThrow(RangeError);
    expect(() => encodePsiFrame(header, new Uint8Array(32 * (PSI_FRAME_MAX_ELEMENTS + 1)), signer)).toThrow(RangeError);
    expect(() => encodePsiFrame(header, body, () => new Uint8Array(10))).toThrow(RangeError);
  });
});

describe('framesOf', () => {
  it('splits packed elements into bounded frames and flags the last', () => {
    const packed = randomBytes(32 * 150_000);
    const frames = [...framesOf(packed, 32)];
    expect(frames.map((f) => [f.index, f.body.length / 32, f.last])).toEqual([
      [0, 65_536, false],
      [1, 65_536, false],
      [2, 18_928, true],
    ]);
    expect(Buffer.compare(Buffer.concat(frames.map((f) => f.body)), packed)).toBe(0);
  });

  it('honours a smaller frame size and an exact multiple', () => {
    const frames = [...framesOf(new Uint8Array(12 * 10), 12, 5)];
    expect(frames.map((f) => [f.body.length, f.last])).toEqual([
      [60, false],
      [60, true],
    ]);
  });

  it('yields one empty last frame for an empty set', () => {
    expect([...framesOf(new Uint8Array(0), 32)].map((f) => [f.index, f.body.length, f.last])).toEqual([[0, 0, true]]);
  });

  it('refuses a ragged input or a frame size out of range', () => {
    expect(() => [...framesOf(new Uint8Array(33), 32)]).toThrow(RangeError);
    expect(() => [...framesOf(new Uint8Array(32), 32, 0)]).toThrow(RangeError);
    expect(() => [...framesOf(new Uint8Array(32), 32, PSI_FRAME_MAX_ELEMENTS + 1)]).toThrow(RangeError);
  });

  it('frames that decode in sequence', () => {
    const packed = randomBytes(32 * 5);
    const received: Uint8Array[] = [];
    let sequence = 0;
    for (const { body: part, last, index } of framesOf(packed, 32, 2)) {
      const bytes = encodePsiFrame({ ...header, sequence: index, last }, part, signer);
      const decoded = decodePsiFrame(bytes, { ...expectation, sequence });
      received.push(decoded.body);
      sequence += 1;
      if (decoded.header.last) break;
    }
    expect(sequence).toBe(3);
    expect(Buffer.compare(Buffer.concat(received), packed)).toBe(0);
  });
});
