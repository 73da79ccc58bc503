/** Identifiers of people: normalised, sealed at rest, found by a keyed lookup hash. (stub, filled by its feature) */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
