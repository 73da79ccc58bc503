/**
 * The shape of every HTTP benchmark: the same autocannon load against an endpoint of a real Accord
 * node, then against a bare fastify route answering the same, one after the other; the ratio of
 * their request rates is the figure to watch.
 */
import { flag, intOption, type BenchOptions, type Benchmark } from './benchmark.ts';
import type { LoadFigures, LoadSettings } from './load.ts';
import { formatTable, num } from './report.ts';

export const httpBenchOptions: NonNullable<Benchmark['options']> = {
  duration: { type: 'string' },
  connections: { type: 'string' },
  pipelining: { type: 'string' },
  warmup: { type: 'string' },
  workers: { type: 'string' },
  smoke: { type: 'boolean' },
};

function settingsFrom(options: BenchOptions): LoadSettings & { smoke: boolean } {
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

export interface HttpComparison<A extends LoadFigures> {
  /** What is loaded, for the summary line: "GET /health". */
  endpoint: string;
  measureAccord(settings: LoadSettings): Promise<A>;
  /** The label of the Accord row, e.g. with its database. */
  accordLabel(figures: A): string;
  measureBare(settings: LoadSettings): Promise<LoadFigures>;
}

export async function compareWithBare<A extends LoadFigures>(
  name: string,
  comparison: HttpComparison<A>,
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<Record<string, unknown>> {
  const { smoke, ...settings } = settingsFrom(options);
  const load = `${settings.duration}s, ${settings.connections} connections, pipelining ${settings.pipelining}, warm-up ${settings.warmup}s`;
  progress(`accord node: ${load}`);
  const accord = await comparison.measureAccord(settings);
  progress(`bare fastify: ${load}`);
  const bare = await comparison.measureBare(settings);
  const ratio = bare.reqPerSec > 0 ? accord.reqPerSec / bare.reqPerSec : 0;
  const row = (label: string, f: LoadFigures) => [label, num(f.reqPerSec, 0), num(f.latencyP50Ms), num(f.latencyP99Ms), f.non2xx, f.errors];
  console.log(`${name} benchmark: ${comparison.endpoint}, ${load}${smoke ? ' (smoke)' : ''}`);
  console.log(formatTable(['server', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'], [row(comparison.accordLabel(accord), accord), row('bare fastify', bare)]));
  console.log(`accord/bare req/s: ${num(ratio, 3)}`);
  return { smoke, settings, accord, bare, ratioReqPerSec: Number(ratio.toFixed(4)) };
}
