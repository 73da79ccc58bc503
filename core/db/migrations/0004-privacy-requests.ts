/** Privacy requests, suppression tombstones. (stub, filled by its feature) */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
