import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { publicKeyOf, sign, generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { base64url, ed25519Jwk, ed25519JwkThumbprint, fromBase64url, openCompactJws, signCompactJws } from '../../crypto/jws.ts';

// RFC 8037 Appendix A.1 (key), A.3 (thumbprint) and A.4 (JWS of "Example of Ed25519 signing").
const rfcSecret = fromBase64url('nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A')!;
const rfcX = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
const rfcThumbprint = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const rfcJws =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';
const rfcPublic = publicKeyOf(rfcSecret);
const encode = (text: string) => new TextEncoder().encode(text);
const part = (value: unknown) => base64url(encode(JSON.stringify(value)));

describe('compact JWS with EdDSA', () => {
  it('reproduces the RFC 8037 vectors', () => {
    expect(ed25519Jwk(rfcPublic).x).toBe(rfcX);
    expect(ed25519JwkThumbprint(rfcPublic)).toBe(rfcThumbprint);
    expect(signCompactJws({ alg: 'EdDSA' }, encode('Example of Ed25519 signing'), (m) => sign(m, rfcSecret))).toBe(rfcJws);
    const opened = openCompactJws(rfcJws, rfcPublic);
    expect(opened?.header).toEqual({ alg: 'EdDSA' });
    expect(new TextDecoder().decode(opened!.payload)).toBe('Example of Ed25519 signing');
  });

  it('is accepted by an independent verifier (node:crypto with the key as a JWK)', () => {
    const keys = generateSigningKeyPair();
    const jws = signCompactJws({ alg: 'EdDSA', kid: ed25519JwkThumbprint(keys.publicKey) }, encode('{"a":1}'), (m) => sign(m, keys.secretKey));
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const key = createPublicKey({ key: ed25519Jwk(keys.publicKey), format: 'jwk' });
    expect(nodeVerify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  const [header, payload, signature] = rfcJws.split('.') as [string, string, string];
  it.each<[string, unknown]>([
    ['another key', null],
    ['a changed payload', `${header}.${base64url(encode('Example of Ed25519 signinG'))}.${signature}`],
    ['a changed signature', `${header}.${payload}.i${signature.slice(1)}`],
    ['padding', `${header}.${payload}.${signature}==`],
    ['standard base64 characters', `${header}.${payload}.${signature.replace(/_/g, '/')}`],
    ['a fourth part', `${rfcJws}.x`],
    ['alg none', `${part({ alg: 'none' })}.${payload}.`],
    ['another algorithm', `${part({ alg: 'ES256' })}.${payload}.${signature}`],
    ['a critical extension', `${part({ alg: 'EdDSA', crit: ['b64'], b64: false })}.${payload}.${signature}`],
    ['a header that is not an object', `${part(['EdDSA'])}.${payload}.${signature}`],
    ['not a string', 42],
  ])('refuses %s', (name, jws) => {
    const key = name === 'another key' ? generateSigningKeyPair().publicKey : rfcPublic;
    expect(openCompactJws(jws ?? rfcJws, key)).toBeUndefined();
  });

  it('decodes base64url strictly', () => {
    expect(fromBase64url('AQID')).toEqual(new Uint8Array([1, 2, 3]));
    expect(fromBase64url('AQI')).toEqual(new Uint8Array([1, 2]));
    expect(fromBase64url('AQJ')).toBeUndefined(); // non-zero trailing bits: not the canonical encoding
    expect(fromBase64url('AQ==')).toBeUndefined();
    expect(fromBase64url('A')).toBeUndefined();
  });
});
