import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { identifierTombstone } from '../../../consent/suppression-hash.ts';
import { SealOpenError } from '../../../crypto/seal.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { findIdentifierIds, openIdentifier, openIdentifiers, sealIdentifier, storeIdentifiers, upsertIdentifiers } from '../../../core/identifiers/identifier-store.ts';
import { suppressedIdentifiers } from '../../../core/identifiers/identifier-suppression.ts';
import { normaliseIdentifier, type IdentifierInput } from '../../../core/identifiers/normalise-identifier.ts';
import { addTombstones } from '../../../core/privacy/suppression.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const keys = new IdentifierKeys(new Uint8Array(32).fill(5));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function id(input: IdentifierInput): Identifier {
  const result = normaliseIdentifier(input);
  if (!result.ok) throw new Error(`${input.type}: ${result.reason}`);
  return result;
}

const email = id({ type: 'email', value: 'Alice@Example.com' });
const sameEmail = id({ type: 'email', value: ' alice@example.COM' });
const phone = id({ type: 'phone', value: '13800138000' });
const openidApp1 = id({ type: 'wechat_openid', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', scope: 'wxaaaaaaaaaaaaaaaa' });
const openidApp2 = id({ type: 'wechat_openid', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', scope: 'wxbbbbbbbbbbbbbbbb' });
const hashed = id({ type: 'email_sha256', value: sha256('bob@example.com') });

describe.each(storageBackends)('identifier store on %s', (backend) => {
  let t: TestDatabase;
  let brand: Tenant;
  let other: Tenant;
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand.id, work);
  const inOther = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, other.id, work);
  const rowCount = () => inBrand(async (trx) => Number((await trx.selectFrom('identifiers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = await ensureTenant(t.db, 'brand');
    other = await ensureTenant(t.db, 'other-brand');
  });
  afterEach(() => t.dispose());

  it('upserts a batch idempotently, one id per distinct identifier, in input order', async () => {
    const batch = [email, phone, sameEmail, openidApp1, openidApp2, hashed];
    const first = await inBrand((trx) => upsertIdentifiers(trx, keys, batch));
    expect(first[0]).toBe(first[2]);
    expect(new Set(first).size).toBe(5);
    const again = await inBrand((trx) => upsertIdentifiers(trx, keys, [hashed, openidApp2, phone, email]));
    expect(again).toEqual([first[5], first[4], first[1], first[0]]);
    expect(await rowCount()).toBe(5);
  });

  it('tells which rows a store inserted, so the caller knows nothing refers to them yet', async () => {
    const [emailId] = await inBrand((trx) => upsertIdentifiers(trx, keys, [email]));
    const stored = await inBrand((trx) => storeIdentifiers(trx, [email, phone, sameEmail, hashed].map((identifier) => sealIdentifier(keys, brand.id, identifier))));
    expect(stored.ids[0]).toBe(emailId);
    expect(stored.ids[2]).toBe(emailId);
    expect([...stored.created].sort()).toEqual([stored.ids[1], stored.ids[3]].sort());
    expect((await inBrand((trx) => storeIdentifiers(trx, []))).ids).toEqual([]);
  });

  it('writes batches larger than one statement page', async () => {
    const many = Array.from({ length: 5_200 }, (_, i) => id({ type: 'email', value: `member${i}@example.com` }));
    const ids = await inBrand((trx) => upsertIdentifiers(trx, keys, many));
    expect(new Set(ids).size).toBe(5_200);
    expect(await inBrand((trx) => upsertIdentifiers(trx, keys, many.slice(5_100)))).toEqual(ids.slice(5_100));
    expect(await inBrand((trx) => findIdentifierIds(trx, keys, [many[0]!, many[5_199]!]))).toEqual([ids[0], ids[5_199]]);
  });

  it('stores no raw value: sealed for raw types, the declared hash alone for hashed types', async () => {
    await inBrand((trx) => upsertIdentifiers(trx, keys, [email, hashed]));
    const rows = await inBrand((trx) => trx.selectFrom('identifiers').selectAll().orderBy('id').execute());
    expect(rows.map((row) => [row.type, row.scope, row.declared_hash, row.value_sealed === null])).toEqual([
      ['email', '', null, false],
      ['email_sha256', '', sha256('bob@example.com'), true],
    ]);
    expect(Buffer.from(rows[0]!.value_sealed!).includes('alice')).toBe(false);
    expect(Buffer.from(rows[0]!.lookup_hash).toString('hex')).not.toBe(sha256('alice@example.com'));
  });

  it('finds identifiers by canonical value and opens them by id', async () => {
    const [emailId, openidId, hashedId] = await inBrand((trx) => upsertIdentifiers(trx, keys, [email, openidApp1, hashed]));
    expect(await inBrand((trx) => findIdentifierIds(trx, keys, [sameEmail, phone, openidApp2, openidApp1]))).toEqual([emailId, undefined, undefined, openidId]);
    const opened = await inBrand((trx) => openIdentifiers(trx, keys, [emailId!, openidId!, hashedId!, 999_999]));
    expect(opened.get(emailId!)).toEqual({ type: 'email', value: 'alice@example.com' });
    expect(opened.get(openidId!)).toEqual({ type: 'wechat_openid', scope: 'wxaaaaaaaaaaaaaaaa', value: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(opened.get(hashedId!)).toEqual({ type: 'email_sha256', value: sha256('bob@example.com') });
    expect(opened.has(999_999)).toBe(false);
  });

  it("keeps tenants apart: other lookup hashes, other ids, and no reading another tenant's rows", async () => {
    const [mine] = await inBrand((trx) => upsertIdentifiers(trx, keys, [email]));
    const [theirs] = await inOther((trx) => upsertIdentifiers(trx, keys, [email]));
    expect(theirs).not.toBe(mine);
    const hashes = await t.db.selectFrom('identifiers').select('lookup_hash').execute();
    expect(Buffer.from(hashes[0]!.lookup_hash).equals(Buffer.from(hashes[1]!.lookup_hash))).toBe(false);
    expect(await inOther((trx) => openIdentifier(trx, keys, mine!))).toBeUndefined();
  });

  it('refuses to open a sealed value moved to another row', async () => {
    const [aliceId, bobId] = await inBrand((trx) => upsertIdentifiers(trx, keys, [email, id({ type: 'email', value: 'bob@example.com' })]));
    await inBrand(async (trx) => {
      const alice = await trx.selectFrom('identifiers').select('value_sealed').where('id', '=', aliceId!).executeTakeFirstOrThrow();
      await trx.updateTable('identifiers').set({ value_sealed: alice.value_sealed }).where('id', '=', bobId!).execute();
    });
    await expect(inBrand((trx) => openIdentifier(trx, keys, bobId!))).rejects.toThrow(SealOpenError);
    expect(await inBrand((trx) => openIdentifier(trx, keys, aliceId!))).toEqual({ type: 'email', value: 'alice@example.com' });
  });

  it('tells which identifiers an erasure suppressed, raw or declared hashed', async () => {
    await inBrand((trx) =>
      addTombstones(trx, [{ hash: identifierTombstone(brand.id, { type: 'email_sha256', hash: sha256('alice@example.com') }), kind: 'email_sha256' }], '00000000-0000-4000-8000-000000000001'),
    );
    const declaredAlice = id({ type: 'email_sha256', value: sha256('alice@example.com') });
    expect(await inBrand((trx) => suppressedIdentifiers(trx, [email, phone, declaredAlice, hashed]))).toEqual([true, false, true, false]);
    expect(await inOther((trx) => suppressedIdentifiers(trx, [email]))).toEqual([false]);
  });
});
