/**
 * Per-tenant secrets for identifiers at rest, both derived from the node's master key (HKDF,
 * distinct info strings, so neither key tells anything about the other):
 * - the lookup key: HMAC-SHA256 of (type, scope, canonical value) finds a row by value without
 *   storing it, and without the master key the table cannot be dictionary-attacked the way a plain
 *   SHA-256 of phone numbers can (China's whole mobile space is about 10^9 guesses);
 * - the sealing key: AES-256-GCM of the canonical value, bound to tenant, type, scope and the
 *   row's lookup hash, so a sealed value copied onto another row, type or tenant does not open.
 * Known weakness: equal values of one tenant get equal lookup hashes (that is the point of a
 * lookup); anyone holding the master key can test guesses.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { deriveKey } from '../../crypto/derive-key.ts';
import { open, seal } from '../../crypto/seal.ts';
import type { Identifier } from './identifier.ts';

interface TenantKeys {
  readonly lookup: Uint8Array;
  readonly sealing: Uint8Array;
}

const encoder = new TextEncoder();
const NONCE_BYTES = 12;
const NONCES_PER_DRAW = 4_096;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** One tenant's two keys, for a worker thread that seals on the tenant's behalf without the master key. */
export interface TenantKeyMaterial {
  readonly tenantId: string;
  readonly lookup: Uint8Array;
  readonly sealing: Uint8Array;
}

export class IdentifierKeys {
  private readonly tenants = new Map<string, TenantKeys>();
  private readonly masterKey: Uint8Array | undefined;
  private nonces = new Uint8Array(0);
  private nextNonce = 0;

  /** From the master key, for every tenant; or from one tenant's material (tenantKeys()), for that tenant only. */
  constructor(source: Uint8Array | TenantKeyMaterial) {
    if (source instanceof Uint8Array) this.masterKey = source;
    else this.tenants.set(source.tenantId.toLowerCase(), { lookup: source.lookup, sealing: source.sealing });
  }

  /** The tenant's keys, to hand to a worker thread (ingest seals there); they open nothing of other tenants. */
  tenantKeys(tenantId: string): TenantKeyMaterial {
    const { lookup, sealing } = this.keysOf(tenantId);
    return { tenantId: tenantId.toLowerCase(), lookup: Uint8Array.from(lookup), sealing: Uint8Array.from(sealing) };
  }

  private keysOf(tenantId: string): TenantKeys {
    const tenant = tenantId.toLowerCase();
    let keys = this.tenants.get(tenant);
    if (!keys) {
      if (!this.masterKey) throw new RangeError('these identifier keys serve one other tenant only');
      keys = {
        lookup: deriveKey(this.masterKey, `accord/identifiers/v1/lookup-key\0${tenant}`),
        sealing: deriveKey(this.masterKey, `accord/identifiers/v1/sealing-key\0${tenant}`),
      };
      this.tenants.set(tenant, keys);
    }
    return keys;
  }

  /** 32 bytes that find this identifier in the tenant's table. */
  lookupHash(tenantId: string, identifier: Identifier): Uint8Array {
    return createHmac('sha256', this.keysOf(tenantId).lookup).update(`${identifier.type}\0${identifier.scope ?? ''}\0${identifier.value}`).digest();
  }

  seal(tenantId: string, identifier: Identifier, lookupHash: Uint8Array): Uint8Array {
    return seal(this.keysOf(tenantId).sealing, encoder.encode(identifier.value), sealContext(tenantId, identifier.type, identifier.scope ?? '', lookupHash), this.nonce());
  }

  // Fresh random nonces drawn thousands at a time: one randomBytes call per seal cost more than the
  // AES-GCM itself in bulk ingest. Each nonce is still 96 random bits used once.
  private nonce(): Uint8Array {
    if (this.nextNonce + NONCE_BYTES > this.nonces.length) {
      this.nonces = randomBytes(NONCE_BYTES * NONCES_PER_DRAW);
      this.nextNonce = 0;
    }
    const nonce = this.nonces.subarray(this.nextNonce, this.nextNonce + NONCE_BYTES);
    this.nextNonce += NONCE_BYTES;
    return nonce;
  }

  /** The canonical value; throws SealOpenError when the bytes were altered or belong to another row. */
  open(tenantId: string, row: { type: string; scope: string; lookupHash: Uint8Array; sealed: Uint8Array }): string {
    return new TextDecoder().decode(open(this.keysOf(tenantId).sealing, row.sealed, sealContext(tenantId, row.type, row.scope, row.lookupHash)));
  }
}

function sealContext(tenantId: string, type: string, scope: string, lookupHash: Uint8Array): Uint8Array {
  return encoder.encode(`accord/identifiers/v1/value\0${tenantId.toLowerCase()}\0${type}\0${scope}\0${hex(lookupHash)}`);
}
