/**
 * Workspaces (tenants) hosted by this node. Every tenant-owned row carries the tenant's id. A
 * tenant has the profiling purpose from the start, so its tags and segments are gated like any
 * processing (core/consent/profiling-purpose.ts).
 */
import type { Kysely } from 'kysely';
import { profilingPurpose } from '../consent/profiling-purpose.ts';
import { definePurpose, findPurpose } from '../consent/purposes.ts';
import { AccordError } from '../errors.ts';
import type { Database } from '../db/schema.ts';
import { withTenant } from '../db/tenant-scope.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
}

/** The tenant every node has from its first start: the operator's own, whose admin keys manage the other tenants. */
export const DEFAULT_TENANT = 'default';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Creates the tenant, or returns the existing one with that slug. */
export async function ensureTenant(db: Kysely<Database>, slug: string, name = slug): Promise<Tenant> {
  if (!SLUG.test(slug)) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `tenant slug must be lower-case letters, digits and dashes (1-63), got ${JSON.stringify(slug)}`);
  }
  await db.insertInto('tenants').values({ slug, name }).onConflict((oc) => oc.column('slug').doNothing()).execute();
  const tenant = await db.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirstOrThrow();
  // Also when a crash came between the two: a tenant whose purpose of that key differs keeps its own.
  await withTenant(db, tenant.id, async (trx) => {
    if (!(await findPurpose(trx, profilingPurpose.key))) await definePurpose(trx, profilingPurpose);
  });
  return tenant;
}

export async function findTenant(db: Kysely<Database>, slug: string): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirst();
}

export async function listTenants(db: Kysely<Database>): Promise<Tenant[]> {
  return db.selectFrom('tenants').select(['id', 'slug', 'name']).orderBy('slug').execute();
}
