import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { Identifier } from '../../../core/one-id/identifier.ts';
import { identityEventsOf } from '../../../core/one-id/identity-events.ts';
import { resolvePersons } from '../../../core/one-id/resolve-persons.ts';
import { splitPerson } from '../../../core/one-id/split-person.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { addEvent, addOrder, defineStaticTag, setAttribute, setTag } from '../segments/segment-fixtures.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const email = (id: number): Identifier => ({ id, type: 'email' });
const phone = (id: number): Identifier => ({ id, type: 'phone' });

describe.each(storageBackends)('splitting a person on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const personOf = async (identifier: Identifier) => (await inTenant((trx) => resolvePersons(trx, [{ identifiers: [identifier] }]))).personIds[0]!;
  const profileOf = (personId: number) =>
    inTenant(async (trx) => ({
      orders: (await trx.selectFrom('orders').select('external_id').where('person_id', '=', personId).execute()).length,
      events: (await trx.selectFrom('behaviour_events').select('external_id').where('person_id', '=', personId).execute()).length,
      attributes: (await trx.selectFrom('person_attributes').select(['key', 'value']).where('person_id', '=', personId).orderBy('key').execute()).map((a) => [a.key, a.value]),
      tags: (await trx.selectFrom('tag_values').select(['tag_key', 'value']).where('person_id', '=', personId).execute()).map((v) => [v.tag_key, v.value]),
    }));

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('keeps profile rows on the person split from, records that in the split event, and sends later data to the new person', async () => {
    // Two people merged through a shared phone; then their orders, events, attributes and tags.
    const person = (await inTenant((trx) => resolvePersons(trx, [{ identifiers: [email(1), phone(3)] }, { identifiers: [email(2), phone(3)] }]))).personIds[0]!;
    expect(await personOf(email(2))).toBe(person);
    await addOrder(t.db, tenant.id, person, 3, 'outdoor');
    await addOrder(t.db, tenant.id, person, 5, 'kids');
    await addEvent(t.db, tenant.id, person, 'page_view', 1);
    await setAttribute(t.db, tenant.id, person, 'city', '上海');
    await defineStaticTag(t.db, tenant.id, 'vip');
    await setTag(t.db, tenant.id, person, 'vip', 'gold');
    const before = await profileOf(person);

    const split = await inTenant((trx) => splitPerson(trx, { leaving: { identifierIds: [2] }, actor: 'ops@brand', reason: 'two people behind one family phone' }));
    expect(split).toMatchObject({ personId: person, identifierIds: [2] });

    // Nothing says which rows came through email 2, so none moved and none were copied.
    expect(await profileOf(person)).toEqual(before);
    expect(await profileOf(split.newPersonId)).toEqual({ orders: 0, events: 0, attributes: [], tags: [] });
    const [event] = await inTenant((trx) => identityEventsOf(trx, split.newPersonId));
    expect(event).toMatchObject({ kind: 'split', details: { profiles: { rule: 'kept_on_person', orders: 2, events: 1, attributes: 1, tagValues: 1 } } });

    // What arrives through the split-off identifier from now on is the new person's.
    expect(await personOf(email(2))).toBe(split.newPersonId);
    expect(await personOf(email(1))).toBe(person);
  });
});
