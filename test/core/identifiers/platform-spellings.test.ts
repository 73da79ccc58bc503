import { describe, expect, it } from 'vitest';
import { gmailAddress } from '../../../core/identifiers/gmail-address.ts';
import { mainlandMobile, phoneDigits } from '../../../core/identifiers/phone-forms.ts';

describe('platform spellings of canonical identifiers', () => {
  it('phone digits without "+", and the 11-digit mainland number only for +86 mobiles', () => {
    expect(phoneDigits('+8613800138000')).toBe('8613800138000');
    expect(mainlandMobile('+8613800138000')).toBe('13800138000');
    expect(mainlandMobile('+85291234567')).toBeUndefined();
    expect(mainlandMobile('+14155550123')).toBeUndefined();
  });

  it('Gmail without dots and +suffix, other domains untouched', () => {
    expect(gmailAddress('john.doe+ads@gmail.com', { plusSuffix: true })).toBe('johndoe@gmail.com');
    expect(gmailAddress('john.doe+ads@googlemail.com', { plusSuffix: false })).toBe('johndoe+ads@googlemail.com');
    expect(gmailAddress('john.doe+ads@example.com', { plusSuffix: true })).toBe('john.doe+ads@example.com');
    expect(gmailAddress('+tag@gmail.com', { plusSuffix: true })).toBe('+tag@gmail.com');
  });
});
