/** Hand-made profile data for segment tests, written as the application writes it (tenant-scoped). */
import type { Kysely } from 'kysely';
import type { Database } from '../../../core/db/schema.ts';
import { withTenant } from '../../../core/db/tenant-scope.ts';

const DAY = 86_400_000;
let counter = 0;

export async function addPersons(db: Kysely<Database>, tenantId: string, count: number): Promise<number[]> {
  return withTenant(db, tenantId, async (trx) => (await trx.insertInto('persons').values(Array.from({ length: count }, () => ({ tenant_id: tenantId }))).returning('id').execute()).map((r) => Number(r.id)));
}

export async function setAttribute(db: Kysely<Database>, tenantId: string, personId: number, key: string, value: unknown): Promise<void> {
  await withTenant(db, tenantId, (trx) =>
    trx
      .insertInto('person_attributes')
      .values({ tenant_id: tenantId, person_id: personId, key, value: JSON.stringify(value), source: 'test', observed_at: new Date() })
      .onConflict((oc) => oc.columns(['tenant_id', 'person_id', 'key']).doUpdateSet({ value: JSON.stringify(value) }))
      .execute(),
  );
}

export async function defineStaticTag(db: Kysely<Database>, tenantId: string, key: string, multiValued = false): Promise<void> {
  await withTenant(db, tenantId, (trx) =>
    trx.insertInto('tag_definitions').values({ tenant_id: tenantId, key, kind: 'static', value_type: 'text', multi_valued: multiValued, description: 'test', owner: 'test', created_by: 'test' }).execute(),
  );
}

export async function setTag(db: Kysely<Database>, tenantId: string, personId: number, key: string, value: unknown): Promise<void> {
  await withTenant(db, tenantId, (trx) => trx.insertInto('tag_values').values({ tenant_id: tenantId, tag_key: key, person_id: personId, value: JSON.stringify(value), source: 'test' }).execute());
}

export async function addOrder(db: Kysely<Database>, tenantId: string, personId: number, daysAgo: number, category: string, amount = '199.00', channel = 'tmall'): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    const order = await trx
      .insertInto('orders')
      .values({ tenant_id: tenantId, external_id: `so-${++counter}`, person_id: personId, placed_at: new Date(Date.now() - daysAgo * DAY), channel, status: 'paid', currency: 'CNY', amount })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('order_items').values({ tenant_id: tenantId, order_id: order.id, line: 1, sku: `sku-${category}`, category, quantity: 1, amount }).execute();
  });
}

export async function addEvent(db: Kysely<Database>, tenantId: string, personId: number, type: string, daysAgo: number): Promise<void> {
  await withTenant(db, tenantId, (trx) =>
    trx.insertInto('behaviour_events').values({ tenant_id: tenantId, external_id: `se-${++counter}`, person_id: personId, type, occurred_at: new Date(Date.now() - daysAgo * DAY), channel: 'app', properties: '{}' }).execute(),
  );
}
