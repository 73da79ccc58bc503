/**
 * Opens the node's database: embedded PGlite in a folder when no DATABASE_URL is set, otherwise a
 * Postgres server through `pg`. Both return the same kysely handle and the same column types
 * (int8 as number, timestamptz as Date, bytea as bytes), so repositories never know which it is.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { changeFeedOf, listenOnPostgres } from './change-feed.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { PGliteDialect } from './pglite-dialect.ts';
import { PGliteThread } from './pglite-thread.ts';
import { markSingleSession } from './single-session.ts';
import type { Database } from './schema.ts';

export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  /** No dir: in memory. A snapshot (from PGlite's dumpDataDir) starts the database from that state. */
  | { kind: 'pglite'; dir: string | undefined; snapshot?: Blob };

/** Where a node's database is: the Postgres server in DATABASE_URL, else PGlite in the data folder. */
export function databaseTargetOf(config: { databaseUrl?: string | undefined; dataDir: string }): DatabaseTarget {
  return config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dir: join(config.dataDir, 'pglite') };
}

export interface OpenDatabase {
  readonly db: Kysely<Database>;
  readonly target: DatabaseTarget;
  /** Where the data lives, safe to print (no password). */
  readonly description: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DatabaseUnreachableError extends Error {
  readonly code = 'ACCORD_ERR_DATABASE_UNREACHABLE';
}

const INT8 = 20;

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function createKysely(target: DatabaseTarget): Kysely<Database> {
  if (target.kind === 'pglite') {
    // Its own thread: a long statement must not stall the node's HTTP server (pglite-thread.ts).
    const db = new Kysely<Database>({ dialect: new PGliteDialect(new PGliteThread({ dir: target.dir, snapshot: target.snapshot })) });
    markSingleSession(db);
    return db;
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    connectionTimeoutMillis: 5_000,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its server emits 'error' besides failing its query; without a listener that
  // event would crash the process. The pool drops the broken client and connects anew.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Opens and checks the connection; a server that cannot be reached is a DatabaseUnreachableError. */
export async function openDatabase(target: DatabaseTarget): Promise<OpenDatabase> {
  const description = target.kind === 'postgres' ? redactUrl(target.url) : `embedded PGlite in ${target.dir ?? 'memory'}`;
  let unlock = () => {};
  if (target.kind === 'pglite' && target.dir) {
    mkdirSync(target.dir, { recursive: true });
    unlock = lockDataDir(target.dir);
  }
  const db = createKysely(target);
  // Other processes share a Postgres server: hear their changes. PGlite has no other process.
  const listener = target.kind === 'postgres' ? listenOnPostgres(changeFeedOf(db), target.url) : undefined;
  const close = async () => {
    try {
      await listener?.close();
      await db.destroy();
    } finally {
      unlock();
    }
  };
  const ping = async () => {
    await sql`select 1`.execute(db);
  };
  try {
    await ping();
  } catch (error) {
    await close().catch(() => {});
    throw new DatabaseUnreachableError(`cannot reach the database at ${description}: ${(error as Error).message}`);
  }
  return { db, target, description, ping, close };
}

