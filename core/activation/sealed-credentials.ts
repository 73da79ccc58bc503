/**
 * A destination's platform credentials at rest: AES-256-GCM under a key derived from the master key,
 * bound to the tenant and the destination's platform and account, so sealed credentials copied onto
 * another destination or tenant do not open. Opened only for the duration of a platform call; never
 * returned by the API or logged.
 */
import { deriveKey } from '../../crypto/derive-key.ts';
import { open, seal } from '../../crypto/seal.ts';
import type { Credentials } from './credentials.ts';

const encoder = new TextEncoder();
const keyOf = (masterKey: Uint8Array) => deriveKey(masterKey, 'accord/activation/v1/credentials');
const contextOf = (tenantId: string, platform: string, accountId: string) => encoder.encode(`accord/activation/credentials\0${tenantId.toLowerCase()}\0${platform}\0${accountId}`);

export interface CredentialOwner {
  readonly tenantId: string;
  readonly platform: string;
  readonly accountId: string;
}

export function sealCredentials(masterKey: Uint8Array, owner: CredentialOwner, credentials: Credentials): Uint8Array {
  const plain: Credentials = { accessToken: credentials.accessToken, refreshToken: credentials.refreshToken, clientId: credentials.clientId, clientSecret: credentials.clientSecret };
  return seal(keyOf(masterKey), encoder.encode(JSON.stringify(plain)), contextOf(owner.tenantId, owner.platform, owner.accountId));
}

export function openCredentials(masterKey: Uint8Array, owner: CredentialOwner, sealed: Uint8Array): Credentials {
  return JSON.parse(new TextDecoder().decode(open(keyOf(masterKey), sealed, contextOf(owner.tenantId, owner.platform, owner.accountId)))) as Credentials;
}
