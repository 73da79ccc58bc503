/**
 * Collection tokens let a web form or app record consent for one person without holding an API
 * key. The brand's backend, which knows who is signed in, asks its node for a token naming that
 * subject (and optionally the purposes the form may record); the node signs it (JWS, EdDSA, its own
 * key) and the page sends it with the person's choices. The node accepts events only for the
 * token's subject and purposes, so nobody can record a grant for someone else's email.
 */
import { randomUUID } from 'node:crypto';
import { openCompactJws, signCompactJws } from '../../crypto/jws.ts';
import { AccordError } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';

const TOKEN_TYPE = 'accord-collection+jwt';
export const MAX_COLLECTION_TOKEN_TTL_SECONDS = 24 * 3600;

export interface CollectionGrant {
  readonly tenantId: string;
  readonly subject: string;
  /** Purposes the form may record; undefined means any of the tenant's. */
  readonly purposes: readonly string[] | undefined;
  readonly tokenId: string;
  readonly expiresAt: Date;
}

export function issueCollectionToken(
  identity: NodeIdentity,
  grant: { tenantId: string; subject: string; purposes?: readonly string[] | undefined; ttlSeconds: number },
  now = new Date(),
): { token: string; tokenId: string; expiresAt: Date } {
  if (!Number.isInteger(grant.ttlSeconds) || grant.ttlSeconds <= 0 || grant.ttlSeconds > MAX_COLLECTION_TOKEN_TTL_SECONDS) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `ttlSeconds must be 1..${MAX_COLLECTION_TOKEN_TTL_SECONDS}`);
  }
  const tokenId = randomUUID();
  const issuedAt = Math.floor(now.getTime() / 1000);
  const claims = { iss: identity.nodeId, tid: grant.tenantId, sub: grant.subject.normalize('NFC'), pur: grant.purposes, iat: issuedAt, exp: issuedAt + grant.ttlSeconds, jti: tokenId };
  const token = signCompactJws({ alg: 'EdDSA', typ: TOKEN_TYPE, kid: identity.nodeId }, new TextEncoder().encode(JSON.stringify(claims)), (message) => identity.sign(message));
  return { token, tokenId, expiresAt: new Date((issuedAt + grant.ttlSeconds) * 1000) };
}

/** The grant a token carries, or undefined for anything forged, altered, expired, foreign or malformed. */
export function openCollectionToken(identity: NodeIdentity, token: string, now = new Date()): CollectionGrant | undefined {
  const opened = openCompactJws(token, identity.publicKey);
  if (!opened || opened.header.typ !== TOKEN_TYPE) return undefined;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(opened.payload)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { iss, tid, sub, pur, exp, jti } = claims;
  if (iss !== identity.nodeId || typeof tid !== 'string' || typeof sub !== 'string' || typeof exp !== 'number' || typeof jti !== 'string') return undefined;
  if (pur !== undefined && !(Array.isArray(pur) && pur.every((p) => typeof p === 'string'))) return undefined;
  if (exp * 1000 <= now.getTime()) return undefined;
  return { tenantId: tid, subject: sub, purposes: pur as string[] | undefined, tokenId: jti, expiresAt: new Date(exp * 1000) };
}
