/** The configured database and one tenant of it (`--tenant slug`), for commands that work on tenant data. */
import type { Kysely } from 'kysely';
import type { Config } from '../core/config/config.ts';
import type { Database } from '../core/db/schema.ts';
import { findTenant, type Tenant } from '../core/tenancy/tenants.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

export function withTenantDatabase<T>(config: Config, slug: string, work: (db: Kysely<Database>, tenant: Tenant) => Promise<T>): Promise<T> {
  return withDatabase(config, async (db) => {
    const tenant = await findTenant(db, slug);
    if (!tenant) throw new UsageError(`no tenant "${slug}"`);
    return work(db, tenant);
  });
}
