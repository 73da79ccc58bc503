/**
 * `npm run bench -- <name> [options]`: runs one benchmark. It prints a summary table, then as its
 * last stdout line one JSON object (name, date, environment, figures), also saved as
 * bench/results/<name>-<YYYYMMDD-HHMMSS>.json and bench/results/<name>-latest.json.
 * To add a benchmark, write it (see benchmark.ts) and add it to `benchmarks`.
 */
import { parseArgs } from 'node:util';
import { activationBenchmark } from './activation-bench.ts';
import { apiBenchmark } from './api-bench.ts';
import { consentApiBenchmark } from './consent-api-bench.ts';
import { consentAppendBenchmark } from './consent-append-bench.ts';
import { consentGateBenchmark } from './consent-gate-bench.ts';
import { consentWriteBenchmark } from './consent-write-bench.ts';
import { ingestBenchmark } from './ingest-bench.ts';
import { psiBenchmark } from './psi-bench.ts';
import { responsivenessBenchmark } from './responsiveness-bench.ts';
import { scoringBenchmark } from './scoring-bench.ts';
import { segmentBenchmark } from './segment-bench.ts';
import { startupBenchmark } from './startup-bench.ts';
import { BenchOptionError, type Benchmark, type BenchOptions } from './benchmark.ts';
import { environment, formatTable, saveResult } from './report.ts';

const benchmarks: Benchmark[] = [apiBenchmark, startupBenchmark, consentGateBenchmark, consentAppendBenchmark, consentApiBenchmark, consentWriteBenchmark, ingestBenchmark, segmentBenchmark, psiBenchmark, responsivenessBenchmark, scoringBenchmark, activationBenchmark];

/** How long a finished run may take to exit on its own before open handles are reported. */
const EXIT_GRACE_MS = 10_000;

function usage(): string {
  const list = formatTable(
    ['benchmark', 'options', 'what it measures'],
    benchmarks.map((b) => [b.name, Object.keys(b.options ?? {}).map((o) => `--${o}`).join(' '), b.describe]),
  );
  return `usage: npm run bench -- <name> [options]\n\n${list}`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help' || name === 'list') {
    console.log(usage());
    return 0;
  }
  const benchmark = benchmarks.find((b) => b.name === name);
  if (!benchmark) {
    console.error(name ? `bench: unknown benchmark "${name}"\n` : 'bench: name a benchmark\n');
    console.error(usage());
    return 1;
  }
  const declared = benchmark.options ?? {};
  const { values, positionals } = parseArgs({ args: rest, options: declared, strict: false, allowPositionals: true });
  const unknown = [...Object.keys(values).filter((key) => !(key in declared)).map((key) => `--${key}`), ...positionals];
  if (unknown.length > 0) console.error(`bench: ignoring ${unknown.join(' ')} (not an option of ${benchmark.name})`);
  const options: BenchOptions = Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, Array.isArray(value) ? value.at(-1) : value]),
  );

  const date = new Date();
  const figures = await benchmark.run(options, (line) => console.error(`[${benchmark.name}] ${line}`));
  const result = { name: benchmark.name, date: date.toISOString(), ...environment(), ...figures };
  const paths = await saveResult(benchmark.name, date, result);
  console.error(`[${benchmark.name}] saved ${paths.join(' and ')}`);
  console.log(JSON.stringify(result));
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`bench: ${error instanceof BenchOptionError ? error.message : ((error as Error).stack ?? String(error))}`);
  process.exitCode = 1;
}
// Everything is closed by now; a process still alive after the grace period leaks a handle.
setTimeout(() => {
  console.error(`bench: still running ${EXIT_GRACE_MS / 1000}s after finishing; something left a handle open`);
  process.exit(1);
}, EXIT_GRACE_MS).unref();
