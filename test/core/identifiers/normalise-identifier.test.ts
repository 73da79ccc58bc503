import { createHash } from 'node:crypto';
import { getCountries, parsePhoneNumberFromString } from 'libphonenumber-js/mobile';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { normaliseIdentifier, type IdentifierInput } from '../../../core/identifiers/normalise-identifier.ts';
import { normalisePhone } from '../../../core/identifiers/normalise-phone.ts';
import { identifierTypes } from '../../../core/identifiers/identifier-types.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const openid = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
const app = 'wx1234567890abcdef';

type Case = [string, IdentifierInput, { value: string; scope?: string } | string];

// [what the row is about, input, canonical value (and scope) or the reason code it is refused with]
const cases: Case[] = [
  // A.1 emails: case, whitespace, full-width, homoglyphs
  ['email case and spaces', { type: 'email', value: '  Alice.Smith@Example.COM ' }, { value: 'alice.smith@example.com' }],
  ['email tab and newline', { type: 'email', value: '\tBOB@EXAMPLE.CN\n' }, { value: 'bob@example.cn' }],
  ['email full-width (全角)', { type: 'email', value: 'ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ' }, { value: 'alice@example.com' }],
  ['email ideographic spaces around', { type: 'email', value: '\u3000alice@example.com\u3000' }, { value: 'alice@example.com' }],
  ['email provider rules not applied', { type: 'email', value: 'First.Last+Tag@Gmail.com' }, { value: 'first.last+tag@gmail.com' }],
  ['email Cyrillic а in local part', { type: 'email', value: '\u0430lice@example.com' }, 'email_non_ascii'],
  ['email Cyrillic а in domain', { type: 'email', value: 'alice@ex\u0430mple.com' }, 'email_non_ascii'],
  ['email zero-width space', { type: 'email', value: 'alice\u200b@example.com' }, 'email_non_ascii'],
  ['email space inside', { type: 'email', value: 'a b@example.com' }, 'email_whitespace'],
  ['email display name', { type: 'email', value: 'Alice <alice@example.com>' }, 'email_whitespace'],
  ['email two @', { type: 'email', value: 'alice@@example.com' }, 'email_at_sign'],
  ['email no @', { type: 'email', value: 'alice.example.com' }, 'email_at_sign'],
  ['email leading dot', { type: 'email', value: '.alice@example.com' }, 'email_local_part'],
  ['email double dot', { type: 'email', value: 'al..ice@example.com' }, 'email_local_part'],
  ['email quoted local part', { type: 'email', value: '"alice"@example.com' }, 'email_local_part'],
  ['email mailto: prefix', { type: 'email', value: 'mailto:alice@example.com' }, 'email_local_part'],
  ['email 65-character local part', { type: 'email', value: `${'a'.repeat(65)}@example.com` }, 'email_local_part'],
  ['email no dot in domain', { type: 'email', value: 'alice@localhost' }, 'email_domain'],
  ['email label starting with -', { type: 'email', value: 'alice@-example.com' }, 'email_domain'],
  ['email trailing dot', { type: 'email', value: 'alice@example.com.' }, 'email_domain'],
  ['email numeric top label', { type: 'email', value: 'alice@10.0.0.1' }, 'email_domain'],
  ['email longer than 254', { type: 'email', value: `a@${['b', 'c', 'd', 'e', 'f'].map((c) => c.repeat(60)).join('.')}.com` }, 'email_too_long'],
  ['email blank', { type: 'email', value: '   ' }, 'value_empty'],

  // A.1 phones: +86 variants, separators, full-width, Excel damage, lost zeros, landlines
  ['mainland 11 digits', { type: 'phone', value: '13800138000' }, { value: '+8613800138000' }],
  ['+86', { type: 'phone', value: '+8613800138000' }, { value: '+8613800138000' }],
  ['+86 with spaces', { type: 'phone', value: '+86 138 0013 8000' }, { value: '+8613800138000' }],
  ['+86 with dashes', { type: 'phone', value: '+86-138-0013-8000' }, { value: '+8613800138000' }],
  ['0086 prefix', { type: 'phone', value: '0086 138 0013 8000' }, { value: '+8613800138000' }],
  ['86 prefix without +', { type: 'phone', value: '8613800138000' }, { value: '+8613800138000' }],
  ['86 prefix with a space', { type: 'phone', value: '86 13800138000' }, { value: '+8613800138000' }],
  ['+86 then trunk 0', { type: 'phone', value: '+86 0138 0013 8000' }, { value: '+8613800138000' }],
  ['full-width digits (全角)', { type: 'phone', value: '１３８００１３８０００' }, { value: '+8613800138000' }],
  ['full-width plus, space and dash', { type: 'phone', value: '＋８６　１３８－００１３－８０００' }, { value: '+8613800138000' }],
  ['en dashes', { type: 'phone', value: '138\u20130013\u20138000' }, { value: '+8613800138000' }],
  ['US number in E.164', { type: 'phone', value: '+1 415 555 2671' }, { value: '+14155552671' }],
  ['Hong Kong national number with region HK', { type: 'phone', value: '9123 4567', region: 'HK' }, { value: '+85291234567' }],
  ['Excel scientific', { type: 'phone', value: '1.38E+10' }, 'phone_excel_scientific'],
  ['Excel scientific, more digits', { type: 'phone', value: '1.3800138E+10' }, 'phone_excel_scientific'],
  ['Excel scientific, lower case', { type: 'phone', value: '1.38e10' }, 'phone_excel_scientific'],
  ['Excel decimal', { type: 'phone', value: '13800138000.0' }, 'phone_excel_decimal'],
  ['Excel decimal, two zeros', { type: 'phone', value: '13800138000.00' }, 'phone_excel_decimal'],
  ['HK number that lost its 00', { type: 'phone', value: '85291234567' }, 'phone_lost_leading_zero'],
  ['UK mobile that lost its 00', { type: 'phone', value: '447911123456' }, 'phone_lost_leading_zero'],
  ['mainland mobile missing a digit', { type: 'phone', value: '1380013800' }, 'phone_invalid'],
  ['mainland mobile with a digit too many', { type: 'phone', value: '138001380001' }, 'phone_invalid'],
  ['service number', { type: 'phone', value: '10086' }, 'phone_invalid'],
  ['Beijing landline', { type: 'phone', value: '010-8765 4321' }, 'phone_not_mobile'],
  ['Shanghai landline in E.164', { type: 'phone', value: '+86 21 6234 5678' }, 'phone_not_mobile'],
  ['Beijing landline that lost its trunk 0', { type: 'phone', value: '1087654321' }, 'phone_not_mobile'],
  ['unallocated mobile range', { type: 'phone', value: '14012345678' }, 'phone_not_mobile'],
  ['letters', { type: 'phone', value: 'call 13800138000' }, 'phone_malformed'],
  ['extension', { type: 'phone', value: '13800138000 ext 12' }, 'phone_malformed'],
  ['plus in the middle', { type: 'phone', value: '86+13800138000' }, 'phone_malformed'],
  ['unknown region', { type: 'phone', value: '13800138000', region: 'XX' }, 'phone_region'],
  ['phone as a JSON number', { type: 'phone', value: 13800138000 }, 'value_not_text'],

  // device ids
  ['IDFA lower case', { type: 'idfa', value: '6d92078a-8246-4ba4-ae5b-76104861e7dc' }, { value: '6D92078A-8246-4BA4-AE5B-76104861E7DC' }],
  ['IDFA all zero (limit ad tracking)', { type: 'idfa', value: '00000000-0000-0000-0000-000000000000' }, 'idfa_limit_ad_tracking'],
  ['IDFA without hyphens (could be an MD5)', { type: 'idfa', value: '6d92078a82464ba4ae5b76104861e7dc' }, 'idfa_format'],
  ['OAID UUID upper case', { type: 'oaid', value: 'A1B2C3D4-0000-4000-8000-0123456789AB' }, { value: 'a1b2c3d4-0000-4000-8000-0123456789ab' }],
  ['OAID 16 hex', { type: 'oaid', value: '2B3C4D5E6F708192' }, { value: '2b3c4d5e6f708192' }],
  ['OAID 64 hex', { type: 'oaid', value: 'f'.repeat(63) + '1' }, { value: 'f'.repeat(63) + '1' }],
  ['OAID all zero UUID', { type: 'oaid', value: '00000000-0000-0000-0000-000000000000' }, 'oaid_all_zero'],
  ['OAID all zero 64', { type: 'oaid', value: '0'.repeat(64) }, 'oaid_all_zero'],
  ['OAID 32 hex', { type: 'oaid', value: 'a'.repeat(32) }, 'oaid_format'],
  ['IMEI 15 digits', { type: 'imei', value: '490154203237518' }, { value: '490154203237518' }],
  ['IMEI 14 digits gets its check digit', { type: 'imei', value: '49015420323751' }, { value: '490154203237518' }],
  ['IMEI with dashes', { type: 'imei', value: '49-015420-323751-8' }, { value: '490154203237518' }],
  ['IMEI full-width', { type: 'imei', value: '３５６９３８０３５６４３８０９' }, { value: '356938035643809' }],
  ['IMEI bad Luhn', { type: 'imei', value: '490154203237519' }, 'imei_luhn'],
  ['IMEI all zero (passes Luhn)', { type: 'imei', value: '000000000000000' }, 'imei_all_zero'],
  ['IMEI too short', { type: 'imei', value: '4901542032' }, 'imei_format'],
  ['Android ID upper case', { type: 'android_id', value: 'A1B2C3D4E5F60718' }, { value: 'a1b2c3d4e5f60718' }],
  ['Android ID shared by Android 2.2 devices', { type: 'android_id', value: '9774D56D682E549C' }, 'android_id_shared'],
  ['Android ID 15 hex', { type: 'android_id', value: 'a1b2c3d4e5f6071' }, 'android_id_format'],

  // A.3 platform ids and their scopes
  ['openid without scope', { type: 'wechat_openid', value: openid }, 'scope_required'],
  ['openid with a blank scope', { type: 'wechat_openid', value: openid, scope: '  ' }, 'scope_required'],
  ['openid with a scope', { type: 'wechat_openid', value: ` ${openid} `, scope: app }, { value: openid, scope: app }],
  ['openid keeps its case', { type: 'wechat_openid', value: openid.toLowerCase(), scope: app }, { value: openid.toLowerCase(), scope: app }],
  ['openid with a space inside', { type: 'wechat_openid', value: 'oUpF8 uMu', scope: app }, 'platform_id_format'],
  ['openid scope with a space', { type: 'wechat_openid', value: openid, scope: 'wx 123' }, 'scope_malformed'],
  ['openid scope not text', { type: 'wechat_openid', value: openid, scope: 42 }, 'scope_malformed'],
  ['unionid without scope', { type: 'wechat_unionid', value: 'o6_bmasdasdsad6_2sgVt7hMZOPfL' }, 'scope_required'],
  ['unionid with scope', { type: 'wechat_unionid', value: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', scope: 'open-acct-1' }, { value: 'o6_bmasdasdsad6_2sgVt7hMZOPfL', scope: 'open-acct-1' }],
  ['Tmall id with shop', { type: 'tmall_user_id', value: 'AAHk5d-EAAeGwJedwSHJ2Dn1', scope: 'shop-1001' }, { value: 'AAHk5d-EAAeGwJedwSHJ2Dn1', scope: 'shop-1001' }],
  ['JD id without shop', { type: 'jd_user_id', value: 'jd_5f1a2b3c' }, 'scope_required'],
  ['Douyin open_id with app', { type: 'douyin_user_id', value: '_000QadFMhmU1jNCI3JdPnyVDL6XavC70dFy', scope: 'awx01' }, { value: '_000QadFMhmU1jNCI3JdPnyVDL6XavC70dFy', scope: 'awx01' }],
  ['email with a scope', { type: 'email', value: 'alice@example.com', scope: app }, 'scope_not_allowed'],

  // A.2 declared hashes
  ['sha256 upper case', { type: 'email_sha256', value: sha256('alice@example.com').toUpperCase() }, { value: sha256('alice@example.com') }],
  ['md5', { type: 'phone_md5', value: md5('+8613800138000') }, { value: md5('+8613800138000') }],
  ['md5 declared but 64 hex', { type: 'email_md5', value: sha256('alice@example.com') }, 'hash_length_mismatch'],
  ['sha256 declared but 32 hex', { type: 'email_sha256', value: md5('alice@example.com') }, 'hash_length_mismatch'],
  ['sha256 declared but raw email', { type: 'email_sha256', value: 'alice@example.com' }, 'hash_not_hex'],
  ['sha256 declared but raw phone', { type: 'phone_sha256', value: '+8613800138000' }, 'hash_not_hex'],
  ['sha256 of an empty field', { type: 'email_sha256', value: sha256('') }, 'hash_of_empty'],
  ['md5 of an empty field', { type: 'email_md5', value: md5('') }, 'hash_of_empty'],
  ['hashed openid keeps the scope rule', { type: 'wechat_openid_sha256', value: sha256(openid) }, 'scope_required'],
  ['raw email type never takes a hash', { type: 'email', value: sha256('alice@example.com') }, 'email_at_sign'],
  ['raw phone type never takes a hash', { type: 'phone', value: md5('+8613800138000') }, 'phone_malformed'],

  // anything else
  ['unknown type', { type: 'email_sha1', value: 'abc' }, 'unknown_type'],
  ['type is case-sensitive', { type: 'Email', value: 'alice@example.com' }, 'unknown_type'],
  ['value missing', { type: 'email', value: undefined }, 'value_not_text'],
  ['value an object', { type: 'imei', value: { imei: '490154203237518' } }, 'value_not_text'],
  ['value too long', { type: 'email', value: `${'a'.repeat(2000)}@example.com` }, 'value_too_long'],
];

describe('normaliseIdentifier', () => {
  it.each(cases)('%s', (_what, input, expected) => {
    const result = normaliseIdentifier(input);
    if (typeof expected === 'string') {
      expect(result).toMatchObject({ ok: false, reason: expected });
      if (!result.ok) expect(result.detail.length).toBeGreaterThan(0);
    } else {
      expect(result).toEqual({ ok: true, type: input.type, value: expected.value, ...(expected.scope ? { scope: expected.scope } : {}) });
    }
  });

  it('keeps one openid in two apps as two identifiers', () => {
    const one = normaliseIdentifier({ type: 'wechat_openid', value: openid, scope: 'wxaaaaaaaaaaaaaaaa' });
    const two = normaliseIdentifier({ type: 'wechat_openid', value: openid, scope: 'wxbbbbbbbbbbbbbbbb' });
    expect(one.ok && two.ok && one.value === two.value && one.scope !== two.scope).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    const odd: unknown[] = [null, undefined, 0, NaN, true, [], {}, '\ud800', '\u0000', '@', '+', '.', 'e', '1e', '١٣٨٠٠١٣٨٠٠٠', '𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎', 'x'.repeat(5000)];
    for (const type of [...identifierTypes, 'nope', '', '__proto__', 'constructor', 'toString_sha256']) {
      for (const value of odd) {
        for (const scope of [undefined, 'shop-1', '\ud800', {}]) {
          const result = normaliseIdentifier({ type, value, scope });
          expect(typeof result.ok).toBe('boolean');
        }
      }
    }
  });
});

describe('normalisePhone fast path', () => {
  // The reference: libphonenumber-js alone, the way the slow path reads a number.
  const reference = (digits: string, region: string) => {
    const parsed = parsePhoneNumberFromString(digits, { defaultCountry: region as 'CN' });
    const type = parsed?.isValid() ? parsed.getType() : undefined;
    return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE' ? parsed!.number : undefined;
  };

  it('agrees with the library for every mainland prefix', () => {
    for (let prefix = 1000; prefix < 2000; prefix++) {
      for (const rest of ['0000000', '1234567', '9999999']) {
        const digits = `${prefix}${rest}`;
        const ours = normalisePhone(digits, 'CN');
        expect(ours.ok ? ours.value : undefined, digits).toBe(reference(digits, 'CN'));
        const international = normalisePhone(`+86${digits}`, 'CN');
        expect(international.ok ? international.value : undefined, `+86${digits}`).toBe(reference(`+86${digits}`, 'CN'));
      }
    }
  });

  it("agrees with the library on every region's example mobile number", () => {
    let checked = 0;
    for (const region of getCountries()) {
      const example = (examples as Record<string, string>)[region];
      if (!example) continue;
      const ours = normalisePhone(example, region);
      expect(ours.ok ? ours.value : undefined, `${region} ${example}`).toBe(reference(example, region));
      checked++;
    }
    expect(checked).toBeGreaterThan(200);
  });
});
