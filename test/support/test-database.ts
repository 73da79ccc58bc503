/**
 * Test databases on every storage backend: a fresh PGlite from the migrated snapshot, and (when the
 * server is there) a fresh Postgres database, dropped afterwards. Suites loop over `storageBackends`.
 */
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import { createThrowawayPostgres } from './throwaway-postgres.ts';
import { migrateToLatest } from '../../core/db/migrate.ts';
import { openDatabase, type OpenDatabase } from '../../core/db/open-database.ts';
import type { Database } from '../../core/db/schema.ts';

export type StorageBackend = 'pglite' | 'postgres';

export const storageBackends: StorageBackend[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  readonly db: Kysely<Database>;
  readonly backend: StorageBackend;
  /** For Postgres: a URL of this test's own database, for starting nodes or CLI runs on it. */
  readonly url: string | undefined;
  readonly handle: OpenDatabase;
  dispose(): Promise<void>;
}

/** Creates an empty Postgres database and returns its URL; `drop` removes it. */
export function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createThrowawayPostgres(inject('postgresUrl')!, 'accord_test');
}

export async function openTestDatabase(backend: StorageBackend): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const snapshot = new Blob([await readFile(inject('pgliteSnapshot'))]);
    const handle = await openDatabase({ kind: 'pglite', dir: undefined, snapshot });
    return { db: handle.db, backend, url: undefined, handle, dispose: () => handle.close() };
  }
  const created = await createPostgresDatabase();
  const handle = await openDatabase({ kind: 'postgres', url: created.url });
  await migrateToLatest(handle.db);
  return {
    db: handle.db,
    backend,
    url: created.url,
    handle,
    async dispose() {
      await handle.close();
      await created.drop();
    },
  };
}
