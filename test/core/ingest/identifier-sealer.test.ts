import { afterEach, describe, expect, it } from 'vitest';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { suppressionHashesOf } from '../../../core/identifiers/identifier-suppression.ts';
import { normaliseIdentifier } from '../../../core/identifiers/normalise-identifier.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import { inlineSealer, workerSealer, type IdentifierSealer } from '../../../core/ingest/identifier-sealer.ts';
import { packSealings, unpackSealings } from '../../../core/ingest/identifier-sealing.ts';

const keys = new IdentifierKeys(new Uint8Array(32).fill(5));
const tenant = '5f0c6a8e-2d5b-4c1e-9a57-0b6f3c2d1e00';

function identifier(type: string, value: string, scope?: string): Identifier {
  const normalised = normaliseIdentifier({ type, value, scope });
  if (!normalised.ok) throw new Error(normalised.detail);
  return normalised;
}

const identifiers = [
  identifier('email', 'Li.Na@Example.com'),
  identifier('phone', '13800138000'),
  identifier('wechat_openid', 'oAbc123', 'wx01'),
  identifier('email_sha256', 'a'.repeat(64)),
];

describe('identifier sealers', () => {
  let sealer: IdentifierSealer | undefined;
  afterEach(async () => {
    await sealer?.close();
    sealer = undefined;
  });

  it('seals in a worker thread exactly as on the main thread: same lookup hashes and tombstones, sealed values that open', async () => {
    sealer = workerSealer(keys, tenant);
    const [inWorker, inline] = await Promise.all([sealer.seal(identifiers), inlineSealer(keys, tenant).seal(identifiers)]);
    expect(inWorker).toHaveLength(identifiers.length);
    identifiers.forEach((id, index) => {
      const worker = inWorker[index]!;
      expect(Buffer.from(worker.lookupHash)).toEqual(Buffer.from(keys.lookupHash(tenant, id)));
      expect(worker.tombstones.map((hash) => Buffer.from(hash))).toEqual(suppressionHashesOf(tenant, id).map((hash) => Buffer.from(hash)));
      expect(worker.tombstones.map((hash) => Buffer.from(hash))).toEqual(inline[index]!.tombstones.map((hash) => Buffer.from(hash)));
      if (id.type === 'email_sha256') expect(worker.sealed).toBeNull();
      else expect(keys.open(tenant, { type: id.type, scope: id.scope ?? '', lookupHash: worker.lookupHash, sealed: worker.sealed! })).toBe(id.value);
    });
    // Fresh nonces: the same value never seals to the same bytes twice.
    expect(Buffer.from(inWorker[0]!.sealed!)).not.toEqual(Buffer.from(inline[0]!.sealed!));
  });

  it('answers batches in order and rejects every batch once the thread is gone', async () => {
    sealer = workerSealer(keys, tenant);
    const batches = await Promise.all([sealer.seal(identifiers.slice(0, 1)), sealer.seal([]), sealer.seal(identifiers.slice(1))]);
    expect(batches.map((batch) => batch.length)).toEqual([1, 0, 3]);
    expect(Buffer.from(batches[2]![0]!.lookupHash)).toEqual(Buffer.from(keys.lookupHash(tenant, identifiers[1]!)));
    await sealer.close();
    await expect(sealer.seal(identifiers)).rejects.toMatchObject({ code: 'ACCORD_ERR_SEAL_WORKER' });
  });

  it('rejects a batch the thread cannot seal, with the reason', async () => {
    sealer = workerSealer(keys, tenant);
    const bogus = { type: 'fax', value: '123' } as unknown as Identifier;
    await expect(sealer.seal([bogus])).rejects.toMatchObject({ code: 'ACCORD_ERR_SEAL_WORKER', message: expect.stringContaining('unknown identifier type fax') });
    expect(await sealer.seal(identifiers.slice(0, 1))).toHaveLength(1);
  });
});

describe('packed sealings', () => {
  const sealings = identifiers.map((id) => {
    const lookupHash = keys.lookupHash(tenant, id);
    return { lookupHash, sealed: id.type === 'email_sha256' ? null : keys.seal(tenant, id, lookupHash), tombstones: suppressionHashesOf(tenant, id) };
  });

  it('round-trips, a declared hash without a sealed value', () => {
    const unpacked = unpackSealings(packSealings(sealings), sealings.length);
    expect(unpacked.map((s) => [Buffer.from(s.lookupHash), s.sealed && Buffer.from(s.sealed), s.tombstones.map((t) => Buffer.from(t))])).toEqual(
      sealings.map((s) => [Buffer.from(s.lookupHash), s.sealed && Buffer.from(s.sealed), s.tombstones.map((t) => Buffer.from(t))]),
    );
  });

  it('refuses a buffer that ends early or has bytes left over, and hashes that are not 32 bytes', () => {
    const packed = packSealings(sealings);
    expect(() => unpackSealings(packed.subarray(0, packed.length - 1), sealings.length)).toThrow(RangeError);
    expect(() => unpackSealings(packed, sealings.length - 1)).toThrow(RangeError);
    expect(() => packSealings([{ lookupHash: new Uint8Array(31), sealed: null, tombstones: [] }])).toThrow(RangeError);
  });
});

describe('tenant-only identifier keys', () => {
  it('seal and look up exactly as the master key does for their tenant, and refuse any other tenant', () => {
    const only = new IdentifierKeys(keys.tenantKeys(tenant.toUpperCase()));
    const email = identifiers[0]!;
    expect(Buffer.from(only.lookupHash(tenant, email))).toEqual(Buffer.from(keys.lookupHash(tenant, email)));
    const lookupHash = only.lookupHash(tenant, email);
    expect(keys.open(tenant, { type: 'email', scope: '', lookupHash, sealed: only.seal(tenant, email, lookupHash) })).toBe(email.value);
    expect(() => only.lookupHash('00000000-0000-4000-8000-000000000000', email)).toThrow(RangeError);
  });
});
