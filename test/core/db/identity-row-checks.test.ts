/**
 * Migration 0016 replaced the per-row foreign keys of the identity tables with per-statement
 * checks; these tests hold it to the rules the foreign keys enforced.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../../core/db/tenant-scope.ts';
import { createPersons } from '../../../core/one-id/create-persons.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const FOREIGN_KEY = /does not exist|still has/;
const nobody = '00000000-0000-4000-8000-00000000dead';

describe.each(storageBackends)('identity rows name existing tenants and persons on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let personId: number;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    [personId] = (await withTenant(t.db, tenant.id, (trx) => createPersons(trx, 1))) as [number];
  });
  afterAll(() => t.dispose());

  const attribute = (person: number) =>
    withTenant(t.db, tenant.id, (trx) =>
      trx.insertInto('person_attributes').values({ tenant_id: tenant.id, person_id: person, key: 'city', value: JSON.stringify('上海'), source: 'test', observed_at: new Date() }).execute(),
    );

  it('refuses rows of a tenant that does not exist, in the tenant scope and as the owner', async () => {
    await expect(withTenant(t.db, nobody, (trx) => createPersons(trx, 2))).rejects.toThrow(/persons names a tenant that does not exist/);
    await expect(
      t.db.insertInto('identity_links').values({ tenant_id: nobody, identifier_id: 1, identifier_type: 'email', person_id: personId }).execute(),
    ).rejects.toThrow(FOREIGN_KEY);
    await expect(sql`insert into identity_cooccurrence (tenant_id, shared_id, primary_id) values (${tenant.id}::uuid, 1, 2), (${nobody}::uuid, 1, 2)`.execute(t.db)).rejects.toThrow(
      FOREIGN_KEY,
    );
    expect(await sql<{ n: number }>`select count(*)::int as n from identity_cooccurrence`.execute(t.db)).toMatchObject({ rows: [{ n: 0 }] });
  });

  it('refuses an attribute of a person that does not exist, and takes one of a person that does', async () => {
    await expect(attribute(personId + 1_000)).rejects.toThrow(/person_attributes names a person that does not exist/);
    await attribute(personId);
    await expect(sql`update person_attributes set person_id = ${personId + 1_000} where person_id = ${personId}`.execute(t.db)).rejects.toThrow(FOREIGN_KEY);
  });

  it('refuses moving a row to a tenant that does not exist', async () => {
    await expect(sql`update persons set tenant_id = ${nobody}::uuid where id = ${personId}`.execute(t.db)).rejects.toThrow(FOREIGN_KEY);
  });

  it('keeps a tenant and a person that rows still name from being deleted, and deletes a tenant without rows', async () => {
    await attribute(personId).catch(() => undefined);
    await expect(sql`delete from persons where id = ${personId}`.execute(t.db)).rejects.toThrow(/still has attributes/);
    await expect(sql`delete from tenants where id = ${tenant.id}::uuid`.execute(t.db)).rejects.toThrow(FOREIGN_KEY);
    // Made bare: ensureTenant would give it a row of its own (its profiling purpose).
    const empty = await t.db.insertInto('tenants').values({ slug: 'empty-brand', name: 'Empty' }).returning('id').executeTakeFirstOrThrow();
    await sql`delete from tenants where id = ${empty.id}::uuid`.execute(t.db);
    expect(await t.db.selectFrom('tenants').select('id').where('id', '=', empty.id).execute()).toEqual([]);
  });
});
