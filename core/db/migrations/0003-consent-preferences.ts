/** Preferences (channels, quiet hours, frequency caps, topics, language) and the subject vault. (stub, filled by its feature) */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}
