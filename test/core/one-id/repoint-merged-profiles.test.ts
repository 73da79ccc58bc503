import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { resolvePersons } from '../../../core/one-id/resolve-persons.ts';
import { defineTag } from '../../../core/tags/tag-definitions.ts';
import { setStaticTagValues } from '../../../core/tags/set-static-tag-values.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

describe.each(storageBackends)("a merge moves the absorbed person's profile on %s", (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const resolve = (...ids: number[]) => inTenant(async (trx) => (await resolvePersons(trx, [{ identifiers: ids.map((id) => ({ id, type: id < 100 ? 'email' : 'phone' })) }])).personIds[0]!);

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
  });
  afterEach(() => t.dispose());

  it('moves orders, events, newer attributes and tag values the survivor lacks', async () => {
    const older = await resolve(1);
    const newer = await resolve(2);
    const day = (n: number) => new Date(Date.UTC(2026, 0, n));
    await inTenant(async (trx) => {
      await trx.insertInto('person_attributes').values([
        { tenant_id: tenant.id, person_id: older, key: 'city', value: JSON.stringify('杭州'), source: 'crm', observed_at: day(1) },
        { tenant_id: tenant.id, person_id: newer, key: 'city', value: JSON.stringify('上海'), source: 'app', observed_at: day(5) },
        { tenant_id: tenant.id, person_id: older, key: 'level', value: JSON.stringify('gold'), source: 'crm', observed_at: day(9) },
        { tenant_id: tenant.id, person_id: newer, key: 'level', value: JSON.stringify('silver'), source: 'app', observed_at: day(2) },
      ]).execute();
      await trx.insertInto('orders').values({ tenant_id: tenant.id, external_id: 'o-1', person_id: newer, placed_at: day(3), channel: 'jd', status: 'paid', currency: 'CNY', amount: '88.00' }).execute();
      await trx.insertInto('behaviour_events').values({ tenant_id: tenant.id, external_id: 'e-1', person_id: newer, type: 'page.view', occurred_at: day(3), channel: 'app', properties: '{}' }).execute();
      await defineTag(trx, { key: 'shoe_size', kind: 'static', valueType: 'number', multiValued: false, description: 'EU shoe size', owner: 'crm' }, 'test');
      await defineTag(trx, { key: 'vip', kind: 'static', valueType: 'boolean', multiValued: false, description: 'VIP', owner: 'crm' }, 'test');
      await setStaticTagValues(trx, 'shoe_size', [{ personId: older, value: 42 }, { personId: newer, value: 39 }], 'crm');
      await setStaticTagValues(trx, 'vip', [{ personId: newer, value: true }], 'crm');
    });
    expect(await resolve(1, 2)).toBe(older);
    const rows = await inTenant(async (trx) => ({
      attributes: await trx.selectFrom('person_attributes').select(['person_id', 'key', 'value']).orderBy('key').execute(),
      orders: await trx.selectFrom('orders').select('person_id').execute(),
      events: await trx.selectFrom('behaviour_events').select('person_id').execute(),
      tags: await trx.selectFrom('tag_values').select(['tag_key', 'person_id', 'value']).orderBy('tag_key').execute(),
    }));
    expect(rows.attributes).toEqual([
      { person_id: older, key: 'city', value: '上海' },
      { person_id: older, key: 'level', value: 'gold' },
    ]);
    expect(rows.orders).toEqual([{ person_id: older }]);
    expect(rows.events).toEqual([{ person_id: older }]);
    // The survivor's own shoe size stays; the VIP flag only the absorbed person had comes along.
    expect(rows.tags).toEqual([
      { tag_key: 'shoe_size', person_id: older, value: 42 },
      { tag_key: 'vip', person_id: older, value: true },
    ]);
  });
});
