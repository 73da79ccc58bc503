/**
 * A real Accord node for HTTP benchmarks: embedded PGlite in a temp folder, or, with DATABASE_URL, a
 * throwaway database on that server (the given database itself is never written); REDIS_URL is
 * used as given. `close` stops the node and removes what it made.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../api/start-node.ts';
import { loadConfig, type ConfigInput } from '../core/config/config.ts';
import { createThrowawayPostgres } from '../test/support/throwaway-postgres.ts';

export async function startBenchNode(extra: ConfigInput = {}): Promise<{ node: RunningNode; close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'accord-bench-'));
  const { DATABASE_URL, REDIS_URL } = process.env;
  const database = DATABASE_URL ? await createThrowawayPostgres(DATABASE_URL, 'accord_bench') : undefined;
  const cleanup = async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const overrides: ConfigInput = { port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', ...extra };
    if (database) overrides.databaseUrl = database.url;
    if (REDIS_URL) overrides.redisUrl = REDIS_URL;
    const node = await startNode(loadConfig({}, overrides), { api: true, worker: true });
    return {
      node,
      async close() {
        await node.close();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
