/** Persons, orders and items for tag tests, written as the application writes them (tenant-scoped). */
import type { Kysely } from 'kysely';
import type { Database } from '../../../core/db/schema.ts';
import { withTenant } from '../../../core/db/tenant-scope.ts';

const DAY = 86_400_000;
let orderCounter = 0;

export async function addPersons(db: Kysely<Database>, tenantId: string, count: number): Promise<number[]> {
  return withTenant(db, tenantId, async (trx) => {
    const rows = await trx.insertInto('persons').values(Array.from({ length: count }, () => ({ tenant_id: tenantId }))).returning('id').execute();
    return rows.map((row) => row.id);
  });
}

/** One paid order with one item of the category, placed `daysAgo` days ago. */
export async function addOrder(db: Kysely<Database>, tenantId: string, personId: number, daysAgo: number, category: string): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    const order = await trx
      .insertInto('orders')
      .values({ tenant_id: tenantId, external_id: `o-${++orderCounter}`, person_id: personId, placed_at: new Date(Date.now() - daysAgo * DAY), channel: 'tmall', status: 'paid', currency: 'CNY', amount: '199.00' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('order_items').values({ tenant_id: tenantId, order_id: order.id, line: 1, sku: `sku-${category}`, category, quantity: 1, amount: '199.00' }).execute();
  });
}

/** The analyst's query of the issue: two or more outdoor purchases in the last 90 days. */
export const OUTDOOR_BUYER_90D = `
  with recent as (
    select o.person_id, count(distinct o.order_id) as purchases
    from orders_v o join order_items_v i on i.order_id = o.order_id
    where o.status = 'paid' and i.category = 'outdoor' and o.placed_at >= now() - interval '90 days'
    group by o.person_id
    having count(distinct o.order_id) >= 2
  )
  select person_id, true as value from recent`;
