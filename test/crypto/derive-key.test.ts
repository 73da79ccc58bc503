import { describe, expect, it } from 'vitest';
import { deriveKey } from '../../crypto/derive-key.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));

describe('deriveKey (HKDF-SHA256)', () => {
  // RFC 5869 Appendix A.3: test cases 1 and 2 use non-UTF-8 `info` bytes, which our string API cannot express.
  it('matches RFC 5869 test case 3 (empty salt and info)', () => {
    const okm = deriveKey(hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), '', undefined, 42);
    expect(Buffer.from(okm).toString('hex')).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('gives independent keys per info and refuses a short root', () => {
    const root = new Uint8Array(32).fill(7);
    expect(Buffer.compare(deriveKey(root, 'a'), deriveKey(root, 'b'))).not.toBe(0);
    expect(Buffer.compare(deriveKey(root, 'a'), deriveKey(root, 'a'))).toBe(0);
    expect(() => deriveKey(new Uint8Array(8), 'a')).toThrow(RangeError);
  });
});
