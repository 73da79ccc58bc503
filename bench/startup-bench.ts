/**
 * `startup`: how long `accord start` takes on the embedded default, from spawning the process to its
 * "ready" log line (listening, migrated, identity loaded, jobs running). First start includes
 * creating the database and the node key; restart reopens them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startAccord } from '../test/support/accord-process.ts';
import { flag, intOption, type Benchmark } from './benchmark.ts';
import { formatTable, median, num } from './report.ts';

async function timeStart(dataDir: string): Promise<number> {
  const began = performance.now();
  const node = await startAccord({ ACCORD_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  const elapsed = performance.now() - began;
  const code = await node.stop();
  if (code !== 0) throw new Error(`accord start exited with ${code} on SIGTERM`);
  return elapsed;
}

export const startupBenchmark: Benchmark = {
  name: 'startup',
  describe: 'time from `accord start` to ready on embedded PGlite: first start and restart',
  options: { runs: { type: 'string' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const runs = intOption(options, 'runs', flag(options, 'smoke') ? 1 : 5);
    const first: number[] = [];
    const restart: number[] = [];
    for (let i = 0; i < runs; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'accord-startup-'));
      try {
        first.push(await timeStart(dataDir));
        restart.push(await timeStart(dataDir));
        progress(`run ${i + 1}/${runs}: first ${num(first.at(-1)!, 0)} ms, restart ${num(restart.at(-1)!, 0)} ms`);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    console.log(
      formatTable(
        ['start', 'median ms', 'min ms', 'max ms'],
        [
          ['first (new data dir)', num(median(first), 0), num(Math.min(...first), 0), num(Math.max(...first), 0)],
          ['restart', num(median(restart), 0), num(Math.min(...restart), 0), num(Math.max(...restart), 0)],
        ],
      ),
    );
    return { runs, firstStartMs: Math.round(median(first)), restartMs: Math.round(median(restart)) };
  },
};
