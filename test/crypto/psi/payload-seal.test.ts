import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openPayload,
  PAYLOAD_TAG_BYTES,
  payloadTag,
  PayloadSealError,
  sealedPayloadBytes,
  sealPayload,
  type PayloadContext,
} from '../../../crypto/psi/payload-seal.ts';

const context: PayloadContext = { collaborationId: '0b7e3f4c-5a61-4d2e-9c1b-7f0e2d3c4b5a', runId: '6f1d2c3b-4a59-4e8d-8c7b-6a5f4e3d2c1b' };
const otherRun: PayloadContext = { ...context, runId: '11111111-2222-4333-8444-555555555555' };
const element = randomBytes(32);
const text = (value: string) => new TextEncoder().encode(value);

describe('payload sealing', () => {
  it('opens with the matching element and gives the plaintext back', () => {
    const sealed = sealPayload(element, text('{"tier":"gold","ltv":"high"}'), { paddedLength: 256, context });
    expect(new TextDecoder().decode(openPayload(element, sealed, context))).toBe('{"tier":"gold","ltv":"high"}');
  });

  it('makes every sealed payload the same size, whatever the plaintext length', () => {
    const sizes = ['', 'a', 'x'.repeat(255)].map((value) => sealPayload(element, text(value), { paddedLength: 256, context }).length);
    expect(new Set(sizes)).toEqual(new Set([sealedPayloadBytes(256)]));
    expect(openPayload(element, sealPayload(element, text(''), { paddedLength: 256, context }), context)).toEqual(new Uint8Array(0));
  });

  it('uses a fresh nonce, so the same payload never seals to the same bytes', () => {
    const a = sealPayload(element, text('same'), { paddedLength: 64, context });
    const b = sealPayload(element, text('same'), { paddedLength: 64, context });
    expect(Buffer.compare(a, b)).not.toBe(0);
  });

  it('returns undefined for another element, another run, or altered bytes', () => {
    const sealed = sealPayload(element, text('secret'), { paddedLength: 64, context });
    expect(openPayload(randomBytes(32), sealed, context)).toBeUndefined();
    expect(openPayload(element, sealed, otherRun)).toBeUndefined();
    const altered = sealed.slice();
    altered[20]! ^= 0x01;
    expect(openPayload(element, altered, context)).toBeUndefined();
  });

  it('throws for input that cannot be a sealed payload', () => {
    expect(() => openPayload(element, new Uint8Array(28), context)).toThrow(PayloadSealError);
    expect(() => openPayload(new Uint8Array(31), sealPayload(element, text('x'), { paddedLength: 8, context }), context)).toThrow(RangeError);
    expect(() => sealPayload(new Uint8Array(32), text('x'), { paddedLength: 8, context })).toThrow(RangeError);
    expect(() => sealPayload(element, text('x'.repeat(8)), { paddedLength: 8, context })).toThrow(RangeError);
    expect(() => sealPayload(element, text('x'), { paddedLength: 0, context })).toThrow(RangeError);
    expect(() => sealPayload(element, text('x'), { paddedLength: 8, context: { ...context, runId: 'nope' } })).toThrow(RangeError);
  });

  it('follows the documented construction, and refuses authentic bytes with broken padding', () => {
    // Key = HKDF-SHA256(element, salt empty, info = purpose ‖ collaboration id bytes ‖ run id bytes); AAD = info.
    const info = Buffer.concat([
      Buffer.from('ACCORD-PSI-v1-payload-key'),
      Buffer.from(context.collaborationId.replaceAll('-', ''), 'hex'),
      Buffer.from(context.runId.replaceAll('-', ''), 'hex'),
    ]);
    const key = Buffer.from(hkdfSync('sha256', element, new Uint8Array(0), info, 32));
    const sealBy = (padded: Uint8Array) => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(info);
      return Buffer.concat([nonce, cipher.update(padded), cipher.final(), cipher.getAuthTag()]);
    };
    expect(new TextDecoder().decode(openPayload(element, sealBy(Uint8Array.from([0x68, 0x69, 0x80, 0, 0])), context))).toBe('hi');
    expect(() => openPayload(element, sealBy(Uint8Array.from([0x68, 0x69, 0, 0])), context)).toThrow(PayloadSealError);
    expect(() => openPayload(element, sealBy(Uint8Array.from([0x68, 0x80, 0x69, 0])), context)).toThrow(PayloadSealError);
  });

  it('derives a lookup tag that depends on element, collaboration and run, and not on the key', () => {
    const tag = payloadTag(element, context);
    expect(tag.length).toBe(PAYLOAD_TAG_BYTES);
    expect(Buffer.compare(payloadTag(element, context), tag)).toBe(0);
    expect(Buffer.compare(payloadTag(randomBytes(32), context), tag)).not.toBe(0);
    expect(Buffer.compare(payloadTag(element, otherRun), tag)).not.toBe(0);
    expect(Buffer.compare(payloadTag(element, { ...otherRun, runId: context.runId, collaborationId: otherRun.runId }), tag)).not.toBe(0);
  });

  it('lets a receiver find and open its own payload among many by tag', () => {
    const provider = Array.from({ length: 50 }, (_, i) => ({ element: randomBytes(32), value: `person ${i}` }));
    const published = new Map(
      provider.map(({ element: e, value }) => [
        Buffer.from(payloadTag(e, context)).toString('hex'),
        sealPayload(e, text(value), { paddedLength: 32, context }),
      ]),
    );
    const mine = provider[17]!.element;
    const sealed = published.get(Buffer.from(payloadTag(mine, context)).toString('hex'));
    expect(new TextDecoder().decode(openPayload(mine, sealed!, context))).toBe('person 17');
  });
});
