/** Opens and migrates the configured database for a one-off command, and closes it afterwards. */
import type { Kysely } from 'kysely';
import type { Config } from '../core/config/config.ts';
import { migrateToLatest } from '../core/db/migrate.ts';
import { databaseTargetOf, openDatabase } from '../core/db/open-database.ts';
import type { Database } from '../core/db/schema.ts';

export async function withDatabase<T>(config: Config, work: (db: Kysely<Database>, applied: string[]) => Promise<T>): Promise<T> {
  const database = await openDatabase(databaseTargetOf(config));
  try {
    const applied = await migrateToLatest(database.db);
    return await work(database.db, applied);
  } finally {
    await database.close();
  }
}
