/**
 * Writes what ingest rows say about resolved persons into the profile tables (migration 0009), a
 * fixed number of statements per chunk, arrays passed as single parameters:
 * - attributes: one current value per (person, key); the later row wins;
 * - orders: new order ids are inserted with their items; an order id seen before only takes the new
 *   status (a refund arriving later), so a re-sent file changes nothing;
 * - events: inserted once per event id; a repeat is ignored.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { EventInput, OrderInput } from './ingest-row.ts';

export interface Attributed<T> {
  readonly personId: number;
  readonly value: T;
}

/** The last of each key, so one statement never updates a row twice. */
const lastOf = <T>(entries: ReadonlyArray<T>, key: (entry: T) => string) => [...new Map(entries.map((entry) => [key(entry), entry])).values()];

export async function writeAttributes(trx: TenantTransaction, rows: ReadonlyArray<Attributed<ReadonlyArray<readonly [string, string]>>>, source: string, at: Date): Promise<void> {
  const flat = lastOf(
    rows.flatMap(({ personId, value }) => value.map(([key, json]) => ({ personId, key, json }))),
    (entry) => `${entry.personId}\0${entry.key}`,
  );
  if (flat.length === 0) return;
  await sql`
    insert into person_attributes (tenant_id, person_id, key, value, source, observed_at)
    select ${trx.tenantId}::uuid, u.person_id, u.key, u.value::jsonb, ${source}, ${at.toISOString()}::timestamptz
      from unnest(${flat.map((e) => e.personId)}::bigint[], ${flat.map((e) => e.key)}::text[], ${flat.map((e) => e.json)}::text[]) as u(person_id, key, value)
    on conflict (tenant_id, person_id, key) do update set value = excluded.value, source = excluded.source, observed_at = excluded.observed_at`.execute(trx);
}

export async function writeOrders(trx: TenantTransaction, rows: ReadonlyArray<Attributed<OrderInput>>): Promise<void> {
  const orders = lastOf(rows, (row) => row.value.externalId);
  if (orders.length === 0) return;
  const stored = await sql<{ id: number; external_id: string; inserted: boolean }>`
    insert into orders (tenant_id, external_id, person_id, placed_at, channel, status, currency, amount)
    select ${trx.tenantId}::uuid, u.external_id, u.person_id, u.placed_at, u.channel, u.status, u.currency, u.amount
      from unnest(${orders.map((o) => o.value.externalId)}::text[], ${orders.map((o) => o.personId)}::bigint[],
                  ${orders.map((o) => o.value.placedAt.toISOString())}::timestamptz[], ${orders.map((o) => o.value.channel)}::text[],
                  ${orders.map((o) => o.value.status)}::text[], ${orders.map((o) => o.value.currency)}::text[], ${orders.map((o) => o.value.amount)}::numeric[])
           as u(external_id, person_id, placed_at, channel, status, currency, amount)
    on conflict (tenant_id, external_id) do update set status = excluded.status
    returning id, external_id, (xmax = 0) as inserted`.execute(trx);
  const newIds = new Map(stored.rows.filter((row) => row.inserted).map((row) => [row.external_id, Number(row.id)]));
  const items = orders.flatMap(({ value }) => {
    const orderId = newIds.get(value.externalId);
    return orderId === undefined ? [] : value.items.map((item, index) => ({ orderId, line: index + 1, ...item }));
  });
  if (items.length === 0) return;
  await sql`
    insert into order_items (tenant_id, order_id, line, sku, category, quantity, amount)
    select ${trx.tenantId}::uuid, u.order_id, u.line, u.sku, u.category, u.quantity, u.amount
      from unnest(${items.map((i) => i.orderId)}::bigint[], ${items.map((i) => i.line)}::int[], ${items.map((i) => i.sku)}::text[],
                  ${items.map((i) => i.category)}::text[], ${items.map((i) => i.quantity)}::int[], ${items.map((i) => i.amount)}::numeric[])
           as u(order_id, line, sku, category, quantity, amount)`.execute(trx);
}

export async function writeEvents(trx: TenantTransaction, rows: ReadonlyArray<Attributed<EventInput>>): Promise<void> {
  // The first of each event id, as the table keeps the first one it stored.
  const seen = new Set<string>();
  const events = rows.filter((row) => !seen.has(row.value.externalId) && Boolean(seen.add(row.value.externalId)));
  if (events.length === 0) return;
  await sql`
    insert into behaviour_events (tenant_id, external_id, person_id, type, occurred_at, channel, properties)
    select ${trx.tenantId}::uuid, u.external_id, u.person_id, u.type, u.occurred_at, u.channel, u.properties::jsonb
      from unnest(${events.map((e) => e.value.externalId)}::text[], ${events.map((e) => e.personId)}::bigint[], ${events.map((e) => e.value.type)}::text[],
                  ${events.map((e) => e.value.occurredAt.toISOString())}::timestamptz[], ${events.map((e) => e.value.channel)}::text[],
                  ${events.map((e) => e.value.properties)}::text[])
           as u(external_id, person_id, type, occurred_at, channel, properties)
    on conflict (tenant_id, external_id) do nothing`.execute(trx);
}

