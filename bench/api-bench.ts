/**
 * `api`: the cost of the Accord HTTP stack. A real node (startNode: migrations, identity, job runner,
 * every plugin and hook) against a bare fastify hello-world, both answering GET /health, under the
 * same autocannon load, one after the other. The ratio accord/bare is the figure to watch.
 */
import Fastify from 'fastify';
import { startBenchNode } from './bench-node.ts';
import type { Benchmark } from './benchmark.ts';
import { compareWithBare, httpBenchOptions } from './http-comparison.ts';
import { expectOk, measure, type LoadFigures, type LoadSettings } from './load.ts';

async function measureAccord(settings: LoadSettings): Promise<LoadFigures & { database: string; queue: string }> {
  const { node, close } = await startBenchNode();
  try {
    await expectOk(`${node.url}/health`);
    return { ...(await measure(`${node.url}/health`, settings)), database: node.database.target.kind, queue: node.jobs.kind };
  } finally {
    await close();
  }
}

async function measureBare(settings: LoadSettings): Promise<LoadFigures> {
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  try {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    await expectOk(`${url}/health`);
    return await measure(`${url}/health`, settings);
  } finally {
    await app.close();
  }
}

export const apiBenchmark: Benchmark = {
  name: 'api',
  describe: 'GET /health on a real Accord node vs a bare fastify hello-world (autocannon)',
  options: httpBenchOptions,
  run: (options, progress) =>
    compareWithBare(
      'api',
      { endpoint: 'GET /health', measureAccord, measureBare, accordLabel: (accord) => `accord (${accord.database}, ${accord.queue})` },
      options,
      progress,
    ),
};
