/** Persons and the one-ID identity graph: which identifiers are one person, with merge and split events. (stub, filled by its feature) */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
