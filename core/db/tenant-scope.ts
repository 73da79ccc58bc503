/**
 * The one way tenant data is read or written: a transaction that runs as the `accord_tenant` role
 * with the tenant id set, so Postgres row-level security hides every other tenant's rows and
 * refuses writes into them, whatever the query inside forgets.
 * It guards the queries this code base writes. SQL from users must never run here: a `reset role`
 * would undo the scope; user SQL (tags) gets its own sandbox.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type TenantTransaction = Transaction<Database> & { readonly tenantId: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function withTenant<T>(
  db: Kysely<Database>,
  tenantId: string,
  work: (trx: TenantTransaction) => Promise<T>,
): Promise<T> {
  if (!UUID.test(tenantId)) throw new TypeError(`tenant id must be a UUID, got ${JSON.stringify(tenantId)}`);
  return db.transaction().execute(async (trx) => {
    // One round trip: set_config('role', …, true) is SET LOCAL ROLE.
    await sql`select set_config('accord.tenant_id', ${tenantId}, true), set_config('role', 'accord_tenant', true)`.execute(trx);
    return work(Object.assign(trx, { tenantId }));
  });
}
