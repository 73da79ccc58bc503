import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startNode } from '../../api/start-node.ts';
import { loadConfig } from '../../core/config/config.ts';
import { waitFor } from '../support/job-runners.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { createPostgresDatabase } from '../support/test-database.ts';

const through = (url: string, port: number) => {
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return proxied.toString();
};

describe.runIf(inject('postgresUrl') && inject('redisUrl'))('readiness while Postgres or Redis goes away', () => {
  it('reports 503 naming the dependency and recovers by itself', async () => {
    const database = await createPostgresDatabase();
    const dbTarget = new URL(database.url);
    const redisTarget = new URL(inject('redisUrl')!);
    const pgProxy = await startTcpProxy({ host: dbTarget.hostname, port: Number(dbTarget.port) });
    const redisProxy = await startTcpProxy({ host: redisTarget.hostname, port: Number(redisTarget.port) });
    const node = await startNode(
      loadConfig({}, {
        port: 0,
        logLevel: 'silent',
        dataDir: mkdtempSync(join(tmpdir(), 'accord-ready-')),
        databaseUrl: through(database.url, pgProxy.port),
        redisUrl: through(inject('redisUrl')!, redisProxy.port),
        masterKey: Buffer.alloc(32, 5).toString('base64'),
      }),
    );
    const ready = async () => {
      const response = await fetch(`${node.url}/ready`);
      return { status: response.status, body: await response.json() };
    };
    const until = (status: number) =>
      waitFor(async () => {
        const r = await ready();
        return r.status === status ? r : undefined;
      }, `/ready ${status}`);
    try {
      expect((await ready()).status).toBe(200);

      await redisProxy.cut();
      const redisDown = await until(503);
      expect(redisDown.body.checks.database).toBe('up');
      expect(redisDown.body.checks.queue).toBe('down');
      await redisProxy.restore();
      expect((await until(200)).body.checks).toEqual({ database: 'up', queue: 'up' });

      await pgProxy.cut();
      const databaseDown = await until(503);
      expect(databaseDown.body.checks.database).toBe('down');
      expect((await fetch(`${node.url}/health`)).status).toBe(200);
      await pgProxy.restore();
      expect((await until(200)).body.checks).toEqual({ database: 'up', queue: 'up' });
    } finally {
      await node.close();
      await pgProxy.close();
      await redisProxy.close();
      await database.drop();
    }
  });
});
