/** Workspaces (tenants) hosted by this node. Every tenant-owned row carries the tenant's id. */
import type { Kysely } from 'kysely';
import { AccordError } from '../errors.ts';
import type { Database } from '../db/schema.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
}

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Creates the tenant, or returns the existing one with that slug. */
export async function ensureTenant(db: Kysely<Database>, slug: string, name = slug): Promise<Tenant> {
  if (!SLUG.test(slug)) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `tenant slug must be lower-case letters, digits and dashes (1-63), got ${JSON.stringify(slug)}`);
  }
  await db.insertInto('tenants').values({ slug, name }).onConflict((oc) => oc.column('slug').doNothing()).execute();
  return db.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirstOrThrow();
}

export async function findTenant(db: Kysely<Database>, slug: string): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', '=', slug).executeTakeFirst();
}

export async function listTenants(db: Kysely<Database>): Promise<Tenant[]> {
  return db.selectFrom('tenants').select(['id', 'slug', 'name']).orderBy('slug').execute();
}
