/**
 * `api`: the cost of the Accord HTTP stack. A real node (startNode: migrations, identity, job runner,
 * every plugin and hook) against a bare fastify hello-world, both answering GET /health, under the
 * same autocannon load, one after the other. The ratio accord/bare is the figure to watch.
 */
import Fastify from 'fastify';
import { startBenchNode } from './bench-node.ts';
import { flag, intOption, type Benchmark, type BenchOptions } from './benchmark.ts';
import { expectOk, measure, type LoadFigures, type LoadSettings } from './load.ts';
import { formatTable, num } from './report.ts';

export function settingsFrom(options: BenchOptions): LoadSettings & { smoke: boolean } {
  const smoke = flag(options, 'smoke');
  return {
    smoke,
    duration: intOption(options, 'duration', smoke ? 1 : 10),
    connections: intOption(options, 'connections', smoke ? 10 : 50),
    pipelining: intOption(options, 'pipelining', 1),
    warmup: intOption(options, 'warmup', smoke ? 0 : 2, { min: 0 }),
    workers: intOption(options, 'workers', 1, { min: 0 }),
  };
}

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
  options: {
    duration: { type: 'string' },
    connections: { type: 'string' },
    pipelining: { type: 'string' },
    warmup: { type: 'string' },
    workers: { type: 'string' },
    smoke: { type: 'boolean' },
  },
  async run(options, progress) {
    const { smoke, ...settings } = settingsFrom(options);
    const load = `${settings.duration}s, ${settings.connections} connections, pipelining ${settings.pipelining}, warm-up ${settings.warmup}s`;
    progress(`accord node: ${load}`);
    const accord = await measureAccord(settings);
    progress(`bare fastify: ${load}`);
    const bare = await measureBare(settings);
    const ratio = bare.reqPerSec > 0 ? accord.reqPerSec / bare.reqPerSec : 0;

    const row = (label: string, f: LoadFigures) => [label, num(f.reqPerSec, 0), num(f.latencyP50Ms), num(f.latencyP99Ms), f.non2xx, f.errors];
    console.log(`api benchmark: GET /health, ${load}${smoke ? ' (smoke)' : ''}`);
    console.log(formatTable(['server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], [row(`accord (${accord.database}, ${accord.queue})`, accord), row('bare fastify', bare)]));
    console.log(`accord/bare req/s: ${num(ratio, 3)}`);

    return { smoke, settings, accord, bare, ratioReqPerSec: Number(ratio.toFixed(4)) };
  },
};
