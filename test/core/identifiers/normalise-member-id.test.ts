import { describe, expect, it } from 'vitest';
import { identifierTypes, scopeRuleOf } from '../../../core/identifiers/identifier-types.ts';
import { MAX_MEMBER_ID_LENGTH } from '../../../core/identifiers/normalise-member-id.ts';
import { normaliseIdentifier } from '../../../core/identifiers/normalise-identifier.ts';

const club = 'acme-club';
const member = (value: unknown, scope: unknown = club) => normaliseIdentifier({ type: 'member_id', value, scope });
const refused = (value: unknown, scope: unknown = club) => {
  const result = member(value, scope);
  return result.ok ? undefined : result.reason;
};

describe('member_id', () => {
  it('is a known type that needs the issuing programme as scope, with declared-hash variants', () => {
    expect(identifierTypes).toEqual(expect.arrayContaining(['member_id', 'member_id_sha256', 'member_id_md5']));
    expect(scopeRuleOf('member_id')).toBe('required');
    expect(refused('10001', null)).toBe('scope_required');
    expect(refused('10001', 'acme club')).toBe('scope_malformed');
  });

  it('trims, turns full-width characters into ASCII and keeps case and inner spaces', () => {
    expect(member('  １０００１\u3000')).toEqual({ ok: true, type: 'member_id', scope: club, value: '10001' });
    expect(member('ＶＩＰ－Ａ１２')).toMatchObject({ value: 'VIP-A12' });
    expect(member('vip-a12')).toMatchObject({ value: 'vip-a12' });
    expect(member('VIP A12')).toMatchObject({ value: 'VIP A12' });
    expect(member('会员 8801')).toMatchObject({ value: '会员 8801' });
    expect(member('\tM-7\r\n')).toMatchObject({ value: 'M-7' });
  });

  it('keeps the same number under two programmes as two identifiers', () => {
    const one = member('10001', 'acme-club');
    const two = member('10001', 'acme-kids');
    expect(one.ok && two.ok && one.value === two.value && one.scope !== two.scope).toBe(true);
  });

  it('refuses empty, control and invisible characters, and more than 128 characters', () => {
    expect(refused('')).toBe('value_empty');
    expect(refused(' \u3000 ')).toBe('value_empty');
    expect(refused('100\u200b01')).toBe('member_id_format');
    expect(refused('100\t01')).toBe('member_id_format');
    expect(refused('100\u000001')).toBe('member_id_format');
    expect(refused('100\u202e01')).toBe('member_id_format');
    expect(refused('100\ud80001')).toBe('member_id_format');
    expect(refused(10001)).toBe('value_not_text');
    expect(member('9'.repeat(MAX_MEMBER_ID_LENGTH)).ok).toBe(true);
    expect(member('会'.repeat(MAX_MEMBER_ID_LENGTH)).ok).toBe(true);
    expect(refused('9'.repeat(MAX_MEMBER_ID_LENGTH + 1))).toBe('member_id_format');
    // Full-width digits count once each after NFKC.
    expect(member(' ' + '９'.repeat(MAX_MEMBER_ID_LENGTH)).ok).toBe(true);
  });

  it('takes a declared hash of a member id like any other declared hash', () => {
    const hash = 'a'.repeat(64);
    expect(normaliseIdentifier({ type: 'member_id_sha256', value: hash.toUpperCase(), scope: club })).toMatchObject({ ok: true, value: hash, scope: club });
  });
});
