import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { identifierTombstone } from '../../../consent/suppression-hash.ts';
import { SealOpenError } from '../../../crypto/seal.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import { hashedFormsOf, hashedIdentifier, md5Hex, sha256Hex, tombstonesOf } from '../../../core/identifiers/identifier-hashes.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { normaliseIdentifier, type IdentifierInput } from '../../../core/identifiers/normalise-identifier.ts';

const tenantA = '0b6a7a34-3c1f-4f55-9d0e-5a1c2b3d4e5f';
const tenantB = '7f0e6d5c-4b3a-4291-8877-665544332211';
const keys = new IdentifierKeys(new Uint8Array(32).fill(7));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function id(input: IdentifierInput): Identifier {
  const result = normaliseIdentifier(input);
  if (!result.ok) throw new Error(`${input.type}: ${result.reason}`);
  return result;
}

const email = id({ type: 'email', value: ' Alice@Example.com ' });
const phone = id({ type: 'phone', value: '138 0013 8000' });

describe('lookup hashes', () => {
  it('are equal for the same identifier however it was spelled', () => {
    expect(keys.lookupHash(tenantA, email)).toEqual(keys.lookupHash(tenantA, id({ type: 'email', value: 'ALICE@EXAMPLE.COM' })));
    expect(keys.lookupHash(tenantA, phone)).toEqual(keys.lookupHash(tenantA, id({ type: 'phone', value: '+86 138-0013-8000' })));
  });

  it('differ per tenant, per master key, and are not the plain hash of the value', () => {
    const a = Buffer.from(keys.lookupHash(tenantA, email)).toString('hex');
    expect(Buffer.from(keys.lookupHash(tenantB, email)).toString('hex')).not.toBe(a);
    expect(Buffer.from(new IdentifierKeys(new Uint8Array(32).fill(8)).lookupHash(tenantA, email)).toString('hex')).not.toBe(a);
    expect(a).not.toBe(sha256('alice@example.com'));
    expect(a).toHaveLength(64);
  });

  it('differ per type and scope for the same string', () => {
    const value = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';
    const inApp1 = keys.lookupHash(tenantA, id({ type: 'wechat_openid', value, scope: 'wxaaaaaaaaaaaaaaaa' }));
    const inApp2 = keys.lookupHash(tenantA, id({ type: 'wechat_openid', value, scope: 'wxbbbbbbbbbbbbbbbb' }));
    const asUnion = keys.lookupHash(tenantA, id({ type: 'wechat_unionid', value, scope: 'wxaaaaaaaaaaaaaaaa' }));
    expect(new Set([inApp1, inApp2, asUnion].map((h) => Buffer.from(h).toString('hex'))).size).toBe(3);
  });
});

describe('sealing', () => {
  const row = (identifier: Identifier, tenantId = tenantA) => {
    const lookupHash = keys.lookupHash(tenantId, identifier);
    return { type: identifier.type, scope: identifier.scope ?? '', lookupHash, sealed: keys.seal(tenantId, identifier, lookupHash) };
  };

  it('opens to the canonical value, and the sealed bytes do not contain it', () => {
    const sealed = row(email);
    expect(keys.open(tenantA, sealed)).toBe('alice@example.com');
    expect(Buffer.from(sealed.sealed).includes('alice')).toBe(false);
    expect(keys.open(tenantA, row(phone))).toBe('+8613800138000');
  });

  it('gives a new ciphertext each time', () => {
    expect(Buffer.from(row(email).sealed).equals(Buffer.from(row(email).sealed))).toBe(false);
  });

  it('refuses altered bytes', () => {
    const sealed = row(email);
    const altered = Uint8Array.from(sealed.sealed);
    altered[20]! ^= 1;
    expect(() => keys.open(tenantA, { ...sealed, sealed: altered })).toThrow(SealOpenError);
  });

  it('does not open on another row, type, scope or tenant', () => {
    const sealed = row(email);
    const other = row(id({ type: 'email', value: 'bob@example.com' }));
    expect(() => keys.open(tenantA, { ...other, sealed: sealed.sealed })).toThrow(SealOpenError);
    expect(() => keys.open(tenantA, { ...sealed, type: 'email_sha256' })).toThrow(SealOpenError);
    expect(() => keys.open(tenantA, { ...sealed, scope: 'shop-1' })).toThrow(SealOpenError);
    expect(() => keys.open(tenantB, sealed)).toThrow(SealOpenError);
  });
});

describe('plain hashes and suppression tombstones', () => {
  it('hash the canonical value as platforms do', () => {
    expect(sha256Hex('alice@example.com')).toBe(sha256('alice@example.com'));
    expect(md5Hex('+8613800138000')).toBe(md5('+8613800138000'));
    expect(hashedIdentifier(email, 'sha256')).toEqual({ type: 'email_sha256', value: sha256('alice@example.com') });
    expect(hashedIdentifier(phone, 'md5')).toEqual({ type: 'phone_md5', value: md5('+8613800138000') });
  });

  it('hash an openid alone but keep its scope', () => {
    const openid = id({ type: 'wechat_openid', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', scope: 'wxaaaaaaaaaaaaaaaa' });
    expect(hashedIdentifier(openid, 'sha256')).toEqual({ type: 'wechat_openid_sha256', scope: 'wxaaaaaaaaaaaaaaaa', value: sha256('oUpF8uMuAJO_M2pxb1Q9zNjWeS6o') });
  });

  it('leave a declared hash as it is and never convert it to another hash', () => {
    const declared = id({ type: 'email_md5', value: md5('alice@example.com') });
    expect(hashedFormsOf(declared)).toEqual([declared]);
    expect(() => hashedIdentifier(declared, 'sha256')).toThrow(TypeError);
  });

  it('give the tombstones erasure writes through identifierTombstone', () => {
    const stones = tombstonesOf(tenantA, email).map((t) => [t.kind, Buffer.from(t.hash).toString('hex')]);
    expect(stones).toEqual([
      ['email_sha256', Buffer.from(identifierTombstone(tenantA, { type: 'email_sha256', hash: sha256('alice@example.com') })).toString('hex')],
      ['email_md5', Buffer.from(identifierTombstone(tenantA, { type: 'email_md5', hash: md5('alice@example.com') })).toString('hex')],
    ]);
  });

  it('match between a raw identifier and the same identifier declared hashed (any case)', () => {
    const declared = id({ type: 'email_sha256', value: sha256('alice@example.com').toUpperCase() });
    expect(tombstonesOf(tenantA, declared)[0]!.hash).toEqual(tombstonesOf(tenantA, email)[0]!.hash);
    expect(tombstonesOf(tenantB, declared)[0]!.hash).not.toEqual(tombstonesOf(tenantA, email)[0]!.hash);
  });
});
