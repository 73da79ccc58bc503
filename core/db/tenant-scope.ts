/**
 * The one way tenant data is read or written: a transaction that runs as the `accord_tenant` role
 * with the tenant id set, so Postgres row-level security hides every other tenant's rows and
 * refuses writes into them, whatever the query inside forgets.
 * It guards the queries this code base writes. SQL from users must never run here: a `reset role`
 * would undo the scope; user SQL (tags) gets its own sandbox.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { changeFeedOf, notifyOnCommit, type ChangeChannel } from './change-feed.ts';
import type { Database } from './schema.ts';

export type TenantTransaction = Transaction<Database> & {
  readonly tenantId: string;
  /** Announces a change to every process's caches once (and only if) this transaction commits. */
  publish(channel: ChangeChannel, payload: string): Promise<void>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function withTenant<T>(
  db: Kysely<Database>,
  tenantId: string,
  work: (trx: TenantTransaction) => Promise<T>,
): Promise<T> {
  if (!UUID.test(tenantId)) throw new TypeError(`tenant id must be a UUID, got ${JSON.stringify(tenantId)}`);
  const feed = changeFeedOf(db);
  const published: Array<[ChangeChannel, string]> = [];
  const result = await db.transaction().execute(async (trx) => {
    // One round trip: set_config('role', …, true) is SET LOCAL ROLE.
    await sql`select set_config('accord.tenant_id', ${tenantId}, true), set_config('role', 'accord_tenant', true)`.execute(trx);
    const publish = async (channel: ChangeChannel, payload: string) => {
      await notifyOnCommit(trx, feed, channel, payload);
      published.push([channel, payload]);
    };
    return work(Object.assign(trx, { tenantId, publish }));
  });
  // This process hears its own changes now, before the caller can ask again; others through NOTIFY.
  for (const [channel, payload] of published) feed.deliver(channel, payload);
  return result;
}
