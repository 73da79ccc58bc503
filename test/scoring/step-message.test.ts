import { describe, expect, it } from 'vitest';
import { decodeStepMessage, encodeStepMessage, messageDigest, packNumbers, stepHeaders, unpackNumbers } from '../../core/scoring/step-message.ts';
import { errorCode } from '../support/error-code.ts';

const header = stepHeaders('model-1', 'params-1')('brand', 'residuals', 3, null);
const limits = { count: 2, maxPartBytes: 16 };


describe('step messages', () => {
  const message = encodeStepMessage(header, [Uint8Array.of(1, 2, 3), new Uint8Array(0)]);

  it('round-trip header and parts, and name the whole message by its digest', () => {
    const decoded = decodeStepMessage(message, header, limits);
    expect(decoded.header).toEqual(header);
    expect(decoded.parts.map((part) => Array.from(part))).toEqual([[1, 2, 3], []]);
    expect(messageDigest(message)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuse a message bound to another model, step, sender, kind, parameter set or input', () => {
    for (const field of ['modelId', 'paramsId', 'inputDigest'] as const) {
      expect(errorCode(() => decodeStepMessage(message, { ...header, [field]: 'other' }, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    }
    expect(errorCode(() => decodeStepMessage(message, { ...header, step: 4 }, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    expect(errorCode(() => decodeStepMessage(message, { ...header, sender: 'provider' }, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
    expect(errorCode(() => decodeStepMessage(message, { ...header, kind: 'products' }, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_BINDING');
  });

  it('refuse truncated, padded, oversized or miscounted messages', () => {
    expect(errorCode(() => decodeStepMessage(message.subarray(0, message.length - 1), header, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => decodeStepMessage(Uint8Array.from([...message, 0]), header, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => decodeStepMessage(message, header, { count: 3, maxPartBytes: 16 }))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => decodeStepMessage(message, header, { count: 2, maxPartBytes: 2 }))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => decodeStepMessage(encodeStepMessage(header, [new Uint8Array(100), new Uint8Array(0)]), header, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => decodeStepMessage(new TextEncoder().encode('ACSM not a message'), header, limits))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
  });

  it('pack finite numbers only', () => {
    expect(Array.from(unpackNumbers(packNumbers(Float64Array.of(1.5, -2)), 2))).toEqual([1.5, -2]);
    expect(errorCode(() => unpackNumbers(packNumbers(Float64Array.of(Number.NaN)), 1))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
    expect(errorCode(() => unpackNumbers(packNumbers(Float64Array.of(1)), 2))).toBe('ACCORD_ERR_SCORING_MESSAGE_MALFORMED');
  });
});
