import { describe, expect, it } from 'vitest';
import { DEFAULT_PSI_SUITE, ELEMENT_BYTES, isPsiSuite, psiDomainSeparationTag } from '../../../crypto/psi/suites.ts';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('PSI suites and domain-separation tags', () => {
  it('builds ACCORD-PSI-v1-<suite>-<collaborationId>-<idType> in ASCII', () => {
    const tag = psiDomainSeparationTag('ristretto255', '3f2b8c1e-0d4a-4e7b-9c55-1a2b3c4d5e6f', 'email');
    expect(decode(tag)).toBe('ACCORD-PSI-v1-ristretto255-3f2b8c1e-0d4a-4e7b-9c55-1a2b3c4d5e6f-email');
    expect(decode(psiDomainSeparationTag('x25519-elligator2', 'c1', 'wechat_openid'))).toBe('ACCORD-PSI-v1-x25519-elligator2-c1-wechat_openid');
    expect(DEFAULT_PSI_SUITE).toBe('ristretto255');
    expect(ELEMENT_BYTES).toBe(32);
  });

  it('gives different tags to different suites, collaborations and identifier types', () => {
    const tags = [
      psiDomainSeparationTag('ristretto255', 'c1', 'email'),
      psiDomainSeparationTag('x25519-elligator2', 'c1', 'email'),
      psiDomainSeparationTag('ristretto255', 'c2', 'email'),
      psiDomainSeparationTag('ristretto255', 'c1', 'phone'),
    ].map(decode);
    expect(new Set(tags).size).toBe(4);
  });

  it('refuses unknown suites, empty or non-ASCII parts, a dash in the id type and tags over 255 bytes', () => {
    expect(() => psiDomainSeparationTag('p256' as never, 'c1', 'email')).toThrow(RangeError);
    expect(() => psiDomainSeparationTag('ristretto255', '', 'email')).toThrow(RangeError);
    expect(() => psiDomainSeparationTag('ristretto255', 'c1', '')).toThrow(RangeError);
    expect(() => psiDomainSeparationTag('ristretto255', 'c 1', 'email')).toThrow(RangeError);
    expect(() => psiDomainSeparationTag('ristretto255', 'c1', 'e-mail')).toThrow(RangeError);
    expect(() => psiDomainSeparationTag('ristretto255', 'coopération', 'email')).toThrow(RangeError);
    const prefix = 'ACCORD-PSI-v1-ristretto255--email'.length;
    expect(psiDomainSeparationTag('ristretto255', 'x'.repeat(255 - prefix), 'email')).toHaveLength(255);
    expect(() => psiDomainSeparationTag('ristretto255', 'x'.repeat(256 - prefix), 'email')).toThrow(RangeError);
    expect(isPsiSuite('ristretto255')).toBe(true);
    expect(isPsiSuite('x25519')).toBe(false);
  });
});
