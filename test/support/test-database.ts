/**
 * Test databases on every storage backend: a fresh PGlite from the migrated snapshot, and (when the
 * server is there) a fresh Postgres database, dropped afterwards. Suites loop over `storageBackends`.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { inject } from 'vitest';
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

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('postgresUrl')! });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Creates an empty Postgres database and returns its URL; `drop` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `accord_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(inject('postgresUrl')!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
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
