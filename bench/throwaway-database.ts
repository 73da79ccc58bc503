/**
 * A database a benchmark may fill and drop: embedded PGlite in a temp folder, or, with DATABASE_URL,
 * a new database on that Postgres server, dropped afterwards. Migrated to the latest schema.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest } from '../core/db/migrate.ts';
import { openDatabase, type OpenDatabase } from '../core/db/open-database.ts';
import { createThrowawayPostgres } from '../test/support/throwaway-postgres.ts';

export async function withThrowawayDatabase<T>(work: (database: OpenDatabase) => Promise<T>): Promise<T> {
  const adminUrl = process.env.DATABASE_URL;
  const cleanups: Array<() => Promise<void>> = [];
  try {
    let database: OpenDatabase;
    if (adminUrl) {
      const created = await createThrowawayPostgres(adminUrl, 'accord_bench');
      cleanups.push(() => created.drop());
      database = await openDatabase({ kind: 'postgres', url: created.url });
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'accord-bench-db-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      database = await openDatabase({ kind: 'pglite', dir });
    }
    cleanups.unshift(() => database.close());
    await migrateToLatest(database.db);
    return await work(database);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}
