import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ConsentError } from '../../consent/consent-errors.ts';
import { canExtend, responseDueAt } from '../../consent/privacy-request-deadlines.ts';
import { checkActionAllowed, checkTransition, type PrivacyRequestStatus } from '../../consent/privacy-request.ts';
import { identifierTombstone, subjectTombstone } from '../../consent/suppression-hash.ts';
import { canonicalJsonBytes } from '../../crypto/canonical-json.ts';

const at = (iso: string) => new Date(iso);
const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as ConsentError).code;
  }
  return undefined;
};

describe('response deadlines per regime', () => {
  it('PIPL: 15 days, no extension', () => {
    expect(responseDueAt('pipl', at('2026-03-01T10:00:00Z'), false)).toEqual(at('2026-03-16T10:00:00Z'));
    expect(canExtend('pipl')).toBe(false);
  });

  it('GDPR: one calendar month, clamped to the end of a shorter month; +2 months counted from receipt', () => {
    expect(responseDueAt('gdpr', at('2026-01-15T08:30:00Z'), false)).toEqual(at('2026-02-15T08:30:00Z'));
    expect(responseDueAt('gdpr', at('2026-01-31T08:30:00Z'), false)).toEqual(at('2026-02-28T08:30:00Z'));
    expect(responseDueAt('gdpr', at('2028-01-31T08:30:00Z'), false)).toEqual(at('2028-02-29T08:30:00Z'));
    expect(responseDueAt('gdpr', at('2026-12-31T23:00:00Z'), false)).toEqual(at('2027-01-31T23:00:00Z'));
    expect(responseDueAt('gdpr', at('2026-01-31T08:30:00Z'), true)).toEqual(at('2026-04-30T08:30:00Z'));
  });

  it('CCPA: 45 days, extendable once by 45', () => {
    expect(responseDueAt('ccpa', at('2026-03-01T00:00:00Z'), false)).toEqual(at('2026-04-15T00:00:00Z'));
    expect(responseDueAt('ccpa', at('2026-03-01T00:00:00Z'), true)).toEqual(at('2026-05-30T00:00:00Z'));
  });
});

describe('privacy request status machine', () => {
  const verification = { method: 'sms_otp', reference: 'otp-7781' };
  const move = (status: PrivacyRequestStatus, to: PrivacyRequestStatus, extra: object = {}, held: typeof verification | null = null) =>
    codeOf(() => checkTransition({ status, verification: held }, { to, ...extra }));

  it('moves forward only, and never out of a closed status', () => {
    expect(move('received', 'verifying')).toBeUndefined();
    expect(move('received', 'in_progress')).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(move('verifying', 'completed')).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(move('in_progress', 'completed', {}, verification)).toBeUndefined();
    expect(move('completed', 'in_progress', {}, verification)).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(move('rejected', 'verifying')).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
  });

  it('starts work only after the verification was recorded, and rejects only with a reason', () => {
    expect(move('verifying', 'in_progress')).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(checkTransition({ status: 'verifying', verification: null }, { to: 'in_progress', verification })).toEqual(verification);
    expect(move('received', 'verifying', { verification })).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(move('verifying', 'rejected')).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(move('verifying', 'rejected', { reason: '  ' })).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(move('verifying', 'rejected', { reason: 'identity could not be verified' })).toBeUndefined();
  });

  it('runs an action only on a request of its kind that is under way', () => {
    expect(codeOf(() => checkActionAllowed({ kind: 'access', status: 'in_progress' }, 'erasure'))).toBe('ACCORD_ERR_PRIVACY_REQUEST_KIND');
    expect(codeOf(() => checkActionAllowed({ kind: 'erasure', status: 'verifying' }, 'erasure'))).toBe('ACCORD_ERR_PRIVACY_REQUEST_STATE');
    expect(codeOf(() => checkActionAllowed({ kind: 'erasure', status: 'in_progress' }, 'erasure'))).toBeUndefined();
  });
});

describe('suppression tombstones', () => {
  const tenant = '0b7c6a4e-1f7e-4c59-9a43-3f4c2d1e0a11';
  const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

  it('hash the documented encoding: RFC 8785 JSON of v, tenant, kind and value', () => {
    expect(Buffer.from(subjectTombstone(tenant, 'member-1')).toString('hex')).toBe(
      sha256Hex(`{"kind":"subject","tenant":"${tenant}","v":1,"value":"member-1"}`),
    );
    const emailHash = sha256Hex('someone@example.com');
    expect(Buffer.from(identifierTombstone(tenant, { type: 'email_sha256', hash: emailHash.toUpperCase() })).toString('hex')).toBe(
      sha256Hex(`{"kind":"email_sha256","tenant":"${tenant}","v":1,"value":"${emailHash}"}`),
    );
  });

  it('hash exactly the RFC 8785 form, escapes and all', () => {
    for (const subject of ['member-1', 'wei "the" li\\', '张伟\u2028\u0007', 'emoji 😀 \u00e9']) {
      expect(Buffer.from(subjectTombstone(tenant, subject)).toString('hex')).toBe(
        createHash('sha256').update(canonicalJsonBytes({ v: 1, tenant, kind: 'subject', value: subject.normalize('NFC') })).digest('hex'),
      );
    }
  });

  it('are tenant-scoped, NFC-normalised, and refuse raw identifiers', () => {
    const other = '5d3e1c2b-8a7f-4e6d-9c0b-1a2b3c4d5e6f';
    expect(Buffer.compare(subjectTombstone(tenant, 'member-1'), subjectTombstone(other, 'member-1'))).not.toBe(0);
    expect(Buffer.compare(subjectTombstone(tenant, 'Ame\u0301lie'), subjectTombstone(tenant, 'Am\u00e9lie'))).toBe(0);
    expect(codeOf(() => identifierTombstone(tenant, { type: 'email', hash: 'someone@example.com' }))).toBe('ACCORD_ERR_CONSENT_INVALID');
    expect(codeOf(() => identifierTombstone(tenant, { type: 'subject', hash: 'ab'.repeat(32) }))).toBe('ACCORD_ERR_CONSENT_INVALID');
  });
});
