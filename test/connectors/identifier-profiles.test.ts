/**
 * Per-platform identifier profiles against fixed vectors (computed with sha256sum and md5sum), and
 * the refusals a brand's data runs into: invalid identifiers, declared hashes of the wrong length
 * or algorithm, numbers outside mainland China where only those are taken.
 */
import { describe, expect, it } from 'vitest';
import type { IdentifierProfile, MemberInput } from '../../core/activation/identifier-profile.ts';
import { googleIdentifiers } from '../../connectors/google/google-identifiers.ts';
import { metaIdentifiers } from '../../connectors/meta/meta-identifiers.ts';
import { oceanEngineIdentifiers } from '../../connectors/oceanengine/oceanengine-identifiers.ts';
import { tencentIdentifiers } from '../../connectors/tencent/tencent-identifiers.ts';
import { tiktokIdentifiers } from '../../connectors/tiktok/tiktok-identifiers.ts';

const SHA256_TEST_EMAIL = '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b';
const SHA256_8613800138000 = 'bf08aacce7f9b2452863cf99373043c3333f0e3127f1f787c4abb46ab6cf2b83';
const SHA256_PLUS_8613800138000 = 'ec61f3c620a98bdead8c1f1f0ae747abd1b62a0c2dba4fd4bc22cf0d1d8653e5';
const SHA256_13800138000 = 'a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc';
const MD5_13800138000 = '7945bd83237335e5376ff44d62e4f0ae';
const MD5_SHA256_13800138000 = 'f058a0a0a30b5371ccce1c532b49c55d819211401002d45e3043bba66add2ca5';
const SHA256_JOHNDOE_GMAIL = '06a240d11cc201676da976f7b49341181fd180da37cbe40a77432c0a366c80c3';
const MD5_IDFA_UPPER = 'f419d92f3ffb6a79c128a4b00ceb05ec';

const member = (...identifiers: MemberInput['identifiers']): MemberInput => ({ key: 'person-1', identifiers });
const ids = (profile: IdentifierProfile, input: MemberInput, types: string[]) => {
  const result = profile.prepare(input, types);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.refused)}`);
  return Object.fromEntries(result.member.ids.map((id) => [id.type, id.value]));
};
const phone = { type: 'phone', value: '138-0013-8000', region: 'CN' };

describe('identifier profiles hash as each platform requires', () => {
  it('SHA-256 of the trimmed lower-case email for Meta and TikTok', () => {
    expect(ids(metaIdentifiers, member({ type: 'email', value: ' Test@Example.COM ' }), ['EMAIL'])).toEqual({ EMAIL: SHA256_TEST_EMAIL });
    expect(ids(tiktokIdentifiers, member({ type: 'email', value: 'test@example.com' }), ['EMAIL_SHA256'])).toEqual({ EMAIL_SHA256: SHA256_TEST_EMAIL });
  });

  it('phones: digits without "+" for Meta, E.164 with "+" for Google and TikTok, 11 digits for Tencent and Ocean Engine', () => {
    expect(ids(metaIdentifiers, member(phone), ['PHONE'])).toEqual({ PHONE: SHA256_8613800138000 });
    expect(ids(googleIdentifiers(true), member(phone), ['phoneNumber'])).toEqual({ phoneNumber: SHA256_PLUS_8613800138000 });
    expect(ids(tiktokIdentifiers, member(phone), ['PHONE_SHA256'])).toEqual({ PHONE_SHA256: SHA256_PLUS_8613800138000 });
    expect(ids(tencentIdentifiers, member(phone), ['HASH_MOBILE_PHONE', 'SHA256_MOBILE_PHONE'])).toEqual({ HASH_MOBILE_PHONE: MD5_13800138000, SHA256_MOBILE_PHONE: SHA256_13800138000 });
    expect(ids(oceanEngineIdentifiers('upper'), member(phone), ['MOBILE_HASH_SHA256'])).toEqual({ MOBILE_HASH_SHA256: SHA256_13800138000 });
  });

  it("Tencent's MD5_SHA256 is SHA-256 of the lower-case MD5 hex, and can be made from a declared MD5", () => {
    const idfa = 'b1c4aaf6-2c42-4b43-9f54-1b4e1a9b0c3d';
    expect(ids(tencentIdentifiers, member({ type: 'idfa', value: idfa }), ['HASH_IDFA'])).toEqual({ HASH_IDFA: MD5_IDFA_UPPER });
    const declared = tencentIdentifiers.prepare(member({ type: 'phone_md5', value: MD5_13800138000.toUpperCase() }), ['HASH_MOBILE_PHONE', 'SHA256_MOBILE_PHONE']);
    expect(declared).toEqual({ ok: true, member: { key: 'person-1', ids: [{ type: 'HASH_MOBILE_PHONE', value: MD5_13800138000, prehashed: true }] }, refused: [] });
    const double = tencentIdentifiers.prepare(member({ type: 'phone_md5', value: MD5_13800138000 }), ['MD5_SHA256_IMEI']);
    expect(double.ok).toBe(false);
    const imei = ids(tencentIdentifiers, member({ type: 'imei_md5', value: MD5_13800138000 }), ['MD5_SHA256_IMEI']);
    expect(imei).toEqual({ MD5_SHA256_IMEI: MD5_SHA256_13800138000 });
  });

  it('applies Gmail rules for Google only', () => {
    const gmail = member({ type: 'email', value: 'John.Doe+ads@GMail.com' });
    expect(ids(googleIdentifiers(true), gmail, ['emailAddress'])).toEqual({ emailAddress: SHA256_JOHNDOE_GMAIL });
    expect(ids(metaIdentifiers, gmail, ['EMAIL']).EMAIL).not.toBe(SHA256_JOHNDOE_GMAIL);
  });

  it('sends MADID raw and lower-case, never hashed', () => {
    expect(ids(metaIdentifiers, member({ type: 'idfa', value: 'B1C4AAF6-2C42-4B43-9F54-1B4E1A9B0C3D' }), ['MADID'])).toEqual({ MADID: 'b1c4aaf6-2c42-4b43-9f54-1b4e1a9b0c3d' });
  });
});

describe('identifier profiles refuse with a reason', () => {
  it('accepts a declared SHA-256 in upper case (hex case is only spelling) and flags it as prehashed', () => {
    const result = metaIdentifiers.prepare(member({ type: 'email_sha256', value: SHA256_TEST_EMAIL.toUpperCase() }), ['EMAIL']);
    expect(result).toEqual({ ok: true, member: { key: 'person-1', ids: [{ type: 'EMAIL', value: SHA256_TEST_EMAIL, prehashed: true }] }, refused: [] });
  });

  it('refuses a declared hash of the wrong length, and one of an algorithm the platform does not take', () => {
    const result = metaIdentifiers.prepare(member({ type: 'email_sha256', value: SHA256_TEST_EMAIL.slice(1) }, { type: 'phone_md5', value: MD5_13800138000 }), ['EMAIL', 'PHONE']);
    expect(result.ok).toBe(false);
    expect(result.refused.map((refusal) => refusal.reason)).toEqual(['hash_length_mismatch', 'hash_not_taken', 'no_usable_identifier']);
  });

  it('refuses invalid identifiers with the normaliser reason and keeps the valid ones', () => {
    const result = metaIdentifiers.prepare(member({ type: 'email', value: 'not-an-email' }, phone, { type: 'phone', value: '1.38E+10' }), ['EMAIL', 'PHONE']);
    expect(result.ok && result.member.ids.map((id) => id.type)).toEqual(['PHONE']);
    expect(result.refused.map((refusal) => refusal.reason)).toEqual(['email_at_sign', 'phone_excel_scientific']);
  });

  it('refuses numbers outside mainland China where only mainland numbers are taken', () => {
    const result = tencentIdentifiers.prepare(member({ type: 'phone', value: '+1 415 555 0123' }), ['HASH_MOBILE_PHONE']);
    expect(result).toMatchObject({ ok: false, refused: [{ type: 'phone', reason: 'phone_not_mainland' }, { reason: 'no_usable_identifier' }] });
  });

  it('sends the first value of a type and says the second was left out', () => {
    const result = metaIdentifiers.prepare(member({ type: 'email', value: 'test@example.com' }, { type: 'email', value: 'other@example.com' }), ['EMAIL']);
    expect(result.ok && result.member.ids).toEqual([{ type: 'EMAIL', value: SHA256_TEST_EMAIL, prehashed: false }]);
    expect(result.refused).toMatchObject([{ type: 'email', reason: 'second_value' }]);
  });

  it('throws on an id type the profile does not have (a programming error, not bad data)', () => {
    expect(() => metaIdentifiers.prepare(member(phone), ['HASH_MOBILE_PHONE'])).toThrow(TypeError);
  });
});
