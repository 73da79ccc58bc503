/** Bulk consent imports and served-notice counts. (stub, filled by its feature) */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
