/** Orders, attributes and events at exact times, for rule and built-in tag tests with a fixed clock. */
import type { Kysely } from 'kysely';
import type { Database } from '../../../core/db/schema.ts';
import { withTenant } from '../../../core/db/tenant-scope.ts';

export const DAY = 86_400_000;
/** The evaluation time of these tests; "n days ago" means n × 24 h before it. */
export const AS_OF = new Date('2026-06-30T12:00:00.000Z');
export const daysAgo = (days: number) => new Date(AS_OF.getTime() - days * DAY);

let counter = 0;

export interface OrderSpec {
  daysAgo: number;
  amount?: string;
  category?: string;
  sku?: string;
  channel?: string;
  status?: 'paid' | 'refunded' | 'cancelled';
}

export async function addOrders(db: Kysely<Database>, tenantId: string, personId: number, orders: OrderSpec[]): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    for (const spec of orders) {
      const amount = spec.amount ?? '100.00';
      const order = await trx
        .insertInto('orders')
        .values({ tenant_id: tenantId, external_id: `po-${++counter}`, person_id: personId, placed_at: daysAgo(spec.daysAgo), channel: spec.channel ?? 'tmall', status: spec.status ?? 'paid', currency: 'CNY', amount })
        .returning('id')
        .executeTakeFirstOrThrow();
      const category = spec.category ?? 'misc';
      await trx.insertInto('order_items').values({ tenant_id: tenantId, order_id: order.id, line: 1, sku: spec.sku ?? `sku-${category}`, category, quantity: 1, amount }).execute();
    }
  });
}

export async function setAttributes(db: Kysely<Database>, tenantId: string, personId: number, attributes: Record<string, unknown>): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    for (const [key, value] of Object.entries(attributes)) {
      await trx.insertInto('person_attributes').values({ tenant_id: tenantId, person_id: personId, key, value: JSON.stringify(value), source: 'test', observed_at: AS_OF }).execute();
    }
  });
}

export async function addEvents(db: Kysely<Database>, tenantId: string, personId: number, events: Array<{ type: string; daysAgo: number; channel?: string }>): Promise<void> {
  await withTenant(db, tenantId, async (trx) => {
    for (const event of events) {
      await trx.insertInto('behaviour_events').values({ tenant_id: tenantId, external_id: `pe-${++counter}`, person_id: personId, type: event.type, occurred_at: daysAgo(event.daysAgo), channel: event.channel ?? 'app' }).execute();
    }
  });
}

export async function mergePerson(db: Kysely<Database>, tenantId: string, absorbed: number, survivor: number): Promise<void> {
  await withTenant(db, tenantId, (trx) => trx.updateTable('persons').set({ merged_into: survivor }).where('id', '=', absorbed).execute());
}
