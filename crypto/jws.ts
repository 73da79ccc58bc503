/**
 * JSON Web Signatures in the compact serialisation (RFC 7515 §7.1) with Ed25519 (`alg: EdDSA`,
 * RFC 8037), and the RFC 7638 thumbprint of an Ed25519 public key as a JWK, used as the `kid`.
 * The signature is ed25519.ts over the ASCII of `base64url(header).base64url(payload)`; this file
 * only frames it. Guarantee: `openCompactJws` returns a payload only when the serialisation is strict
 * (three unpadded base64url parts in canonical form, a JSON object header naming EdDSA, no critical
 * extensions) and the signature verifies under the given key.
 * Known weakness: the header is integrity-protected but says nothing about which key to trust;
 * callers pin the key (and compare `kid`) themselves. Unsecured (`alg: none`) and every other
 * algorithm are refused, so no algorithm confusion is possible.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalJson } from './canonical-json.ts';
import { verify } from './ed25519.ts';

export interface JwsHeader {
  readonly alg: 'EdDSA';
  readonly kid?: string;
  readonly typ?: string;
  readonly [member: string]: unknown;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const encoder = new TextEncoder();

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Strict: unpadded alphabet and the one canonical encoding of the bytes, or undefined. */
export function fromBase64url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  return base64url(bytes) === text ? bytes : undefined;
}

/** The public key as an RFC 8037 JWK (members in RFC 7638 order). */
export function ed25519Jwk(publicKey: Uint8Array): { crv: 'Ed25519'; kty: 'OKP'; x: string } {
  if (publicKey.length !== 32) throw new RangeError('Ed25519 public key must be 32 bytes');
  return { crv: 'Ed25519', kty: 'OKP', x: base64url(publicKey) };
}

/** RFC 7638: SHA-256 over the required members, sorted, without whitespace (RFC 8785 gives exactly that). */
export function ed25519JwkThumbprint(publicKey: Uint8Array): string {
  return base64url(sha256(encoder.encode(canonicalJson(ed25519Jwk(publicKey)))));
}

/** `sign` is the holder's Ed25519 signing function, so the secret key need not leave its owner. */
export function signCompactJws(header: JwsHeader, payload: Uint8Array, sign: (message: Uint8Array) => Uint8Array): string {
  if (header.alg !== 'EdDSA') throw new RangeError('only EdDSA is supported');
  if ('crit' in header) throw new RangeError('critical header extensions are not supported');
  const signingInput = `${base64url(encoder.encode(JSON.stringify(header)))}.${base64url(payload)}`;
  return `${signingInput}.${base64url(sign(encoder.encode(signingInput)))}`;
}

/** The header and payload when the JWS is well-formed and verifies under `publicKey`; otherwise undefined. Never throws. */
export function openCompactJws(jws: unknown, publicKey: Uint8Array): { header: JwsHeader; payload: Uint8Array } | undefined {
  if (typeof jws !== 'string') return undefined;
  const parts = jws.split('.');
  if (parts.length !== 3) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const headerBytes = fromBase64url(headerPart);
  const payload = fromBase64url(payloadPart);
  const signature = fromBase64url(signaturePart);
  if (!headerBytes || !payload || !signature) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  const fields = header as Record<string, unknown>;
  // RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not understand (all of them, here).
  if (fields.alg !== 'EdDSA' || 'crit' in fields) return undefined;
  if (!verify(signature, encoder.encode(`${headerPart}.${payloadPart}`), publicKey)) return undefined;
  return { header: fields as JwsHeader, payload };
}
