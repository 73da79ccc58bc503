/**
 * A database a benchmark may fill and drop: embedded PGlite in a temp folder, or, with DATABASE_URL,
 * a new database on that Postgres server, dropped afterwards. Migrated to the latest schema.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest } from '../core/db/migrate.ts';
import { openDatabase, type OpenDatabase } from '../core/db/open-database.ts';

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the Postgres server at `adminUrl`, and how to drop it. */
export async function createThrowawayPostgres(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `accord_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`) };
}

export async function withThrowawayDatabase<T>(work: (database: OpenDatabase) => Promise<T>): Promise<T> {
  const adminUrl = process.env.DATABASE_URL;
  const cleanups: Array<() => Promise<void>> = [];
  try {
    let database: OpenDatabase;
    if (adminUrl) {
      const created = await createThrowawayPostgres(adminUrl);
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
