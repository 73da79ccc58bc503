/**
 * Runs once per test run: finds Postgres and Redis (ACCORD_TEST_SERVICES=required makes a missing one
 * fail the run instead of skipping its variants) and prepares a migrated PGlite snapshot that
 * every PGlite test database starts from.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../../core/db/migrate.ts';
import { PGliteDialect } from '../../core/db/pglite-dialect.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
    redisUrl: string | null;
    pgliteSnapshot: string;
  }
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), timeout: 1_000 });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

export default async function setup(project: TestProject): Promise<void> {
  const mode = process.env.ACCORD_TEST_SERVICES ?? 'auto';
  if (!['auto', 'required', 'off'].includes(mode)) throw new Error(`ACCORD_TEST_SERVICES must be auto, required or off, got ${mode}`);
  const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const found = {
    postgres: mode !== 'off' && (await reachable(postgresUrl)),
    redis: mode !== 'off' && (await reachable(redisUrl)),
  };
  if (mode === 'required') {
    for (const [name, up] of Object.entries(found)) {
      if (!up) throw new Error(`ACCORD_TEST_SERVICES=required but ${name} is not reachable`);
    }
  }
  console.log(`test services: postgres ${found.postgres ? 'yes' : 'no'}, redis ${found.redis ? 'yes' : 'no'} (mode ${mode})`);
  project.provide('postgresUrl', found.postgres ? postgresUrl : null);
  project.provide('redisUrl', found.redis ? redisUrl : null);

  const pglite = new PGlite();
  await migrateToLatest(new Kysely({ dialect: new PGliteDialect(pglite) }));
  const dir = join(process.cwd(), 'node_modules', '.cache', 'accord-test');
  await mkdir(dir, { recursive: true });
  const snapshot = join(dir, `pglite-migrated-${process.pid}.tar`);
  await writeFile(snapshot, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  await pglite.close();
  project.provide('pgliteSnapshot', snapshot);
}
