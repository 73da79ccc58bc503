/**
 * `psi`: a real PSI run between two Accord nodes on this machine (both in this process, each with
 * its own throwaway database, job runner and worker pools, talking signed HTTP over loopback), for
 * each suite, and @openmined/psi.js on the same sets in the same run for comparison.
 * Sets: N persons with one email each per side, 50% overlap (brand 0..N-1, partner N/2..3N/2-1).
 * The collaboration releases the matched members to the brand, so the run goes through the consent
 * gate on both sides, blinding, streaming frames, matching, the output guard and storing matches.
 * The purpose is OPT-OUT: the gate admits everyone without a consent event per person (seeding a
 * million opt-in grants would be a ledger benchmark, not a PSI one). Seeding is timed apart.
 * Goals (issue 5): 100k×100k ≤ 50 s on ristretto255, ≤ 22 s on x25519-elligator2, including protocol
 * and storage; 1M×1M within 2 GB RSS. psi.js took ≈400 s for 100k×100k on this kind of machine.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PSI_SUITES, isPsiSuite, type PsiSuite } from '../crypto/psi/suites.ts';
import { BenchOptionError, flag, intOption, type Benchmark } from './benchmark.ts';
import { PSI_JS_VERSION, loadPsiJs, runPsiJs, type PsiJsFigures } from './psi-js-peer.ts';
import { approvedCollaboration, introduce, runPsi, startPsiBenchNode, type PsiBenchNode, type PsiRunFigures } from './psi-nodes.ts';
import { withPeakRss } from './psi-peak-rss.ts';
import { benchEmail, defineOptOutMatching, seedEmailPersons } from './psi-seed.ts';
import { formatTable, num } from './report.ts';

/** psi.js GCS false-positive rate over the whole client set (1e-9 overflows its int64 range at 100k; reference/psi.md 1.1). */
const PSI_JS_FPR = 1e-6;
/** The collaboration's default minimum overlap is 100; a smaller set could not release anything. */
const MIN_SIZE = 200;
const GOAL_SECONDS: Record<PsiSuite, number> = { ristretto255: 50, 'x25519-elligator2': 22 };
const GOAL_RSS_MB = 2048;

const PHASES = ['input', 'prepare', 'blind', 'send', 'fetch', 'match', 'finish'] as const;
type Phase = (typeof PHASES)[number];

interface SuiteResult {
  suite: PsiSuite;
  phasesMs: Record<Phase, number>;
  run: PsiRunFigures;
  peakRssMb: number;
}

type PsiJsOutcome = { status: 'ran'; figures: PsiJsFigures; peakRssMb: number } | { status: 'skipped' | 'failed'; reason: string };

function suitesOf(value: string | boolean | undefined): PsiSuite[] {
  if (value === undefined || value === 'both') return [...PSI_SUITES];
  if (typeof value === 'string' && isPsiSuite(value)) return [value];
  throw new BenchOptionError(`--suite: expected ${PSI_SUITES.join(', ')} or both, got ${JSON.stringify(value)}`);
}

/**
 * The client's timings folded into the phases of the table: `input` is the brand gathering its
 * consented set until the partner accepted the run; `prepare` the partner gating, blinding and
 * storing its own set; `finish` the rest (finishing with the partner, the output guard, storing the
 * matched members, processing records, and the poll interval).
 */
function phasesOf(run: PsiRunFigures): Record<Phase, number> {
  const t = run.timingsMs;
  const measured = run.inputMs + Object.values(t).reduce((sum, ms) => sum + ms, 0);
  return {
    input: run.inputMs,
    prepare: t.prepare ?? 0,
    blind: t.blind ?? 0,
    send: t.send ?? 0,
    fetch: t.fetch ?? 0,
    match: t.match ?? 0,
    finish: (t.return ?? 0) + (t.finish ?? 0) + Math.max(0, run.wallMs - measured),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function runAccord(size: number, suites: PsiSuite[], progress: (line: string) => void): Promise<{ database: string; seedMs: number; results: SuiteResult[] }> {
  const half = Math.floor(size / 2);
  const nodes: PsiBenchNode[] = [];
  try {
    const brand = await startPsiBenchNode('Brand');
    nodes.push(brand);
    const partner = await startPsiBenchNode('Partner');
    nodes.push(partner);
    const brandOnPartner = await introduce(brand, partner);
    progress(`seeding ${size.toLocaleString('en')} persons per side on ${brand.databaseKind}`);
    const seed = await timed(async () => {
      for (const [node, first] of [[brand, 0], [partner, half]] as const) {
        await defineOptOutMatching(node.db, node.tenantId);
        await seedEmailPersons(node.db, node.identifierKeys, node.tenantId, first, size, (done) => {
          if (done % 200_000 === 0 || done === size) progress(`  ${node.name}: ${done.toLocaleString('en')}`);
        });
      }
    });
    const results: SuiteResult[] = [];
    for (const suite of suites) {
      const collaborationId = await approvedCollaboration(brand, partner, brandOnPartner, suite);
      progress(`running ${suite}`);
      const { value: run, peakRssMb } = await withPeakRss(() => runPsi(brand, partner, collaborationId, progress));
      const expected = size - half;
      // The released total carries the collaboration's noise (discrete Laplace); the stored members are exact.
      if (run.membersStored !== expected) {
        throw new Error(`${suite}: stored ${run.membersStored} matched members, expected ${expected} (released total ${run.matched})`);
      }
      results.push({ suite, phasesMs: phasesOf(run), run, peakRssMb });
      progress(`  ${suite}: ${num(run.wallMs / 1000, 1)} s, ${run.matched.toLocaleString('en')} matched`);
    }
    return { database: brand.databaseKind, seedMs: seed.ms, results };
  } finally {
    for (const node of nodes.reverse()) await node.close();
  }
}

async function runPeer(size: number, progress: (line: string) => void): Promise<PsiJsOutcome> {
  let psi;
  try {
    psi = await loadPsiJs(progress);
  } catch (error) {
    return { status: 'failed', reason: `could not install or load @openmined/psi.js@${PSI_JS_VERSION}: ${(error as Error).message.split('\n')[0]}` };
  }
  const half = Math.floor(size / 2);
  const partner = Array.from({ length: size }, (_, i) => benchEmail(half + i));
  const brand = Array.from({ length: size }, (_, i) => benchEmail(i));
  progress(`running @openmined/psi.js ${PSI_JS_VERSION} (single thread; about 4 ms per element at 100k)`);
  const { value: figures, peakRssMb } = await withPeakRss(async () => runPsiJs(psi, partner, brand, PSI_JS_FPR));
  // GCS may add a false positive now and then (fpr 1e-6 over the whole set); it never misses one.
  if (figures.found < size - half) throw new Error(`psi.js found ${figures.found} of ${size - half}`);
  return { status: 'ran', figures, peakRssMb };
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const megabytes = (bytes: number) => Math.round(bytes / 10_485.76) / 100;

function printReport(size: number, database: string, seedMs: number, results: SuiteResult[], peer: PsiJsOutcome, load: number[]): void {
  const psiJsMs = peer.status === 'ran' ? peer.figures.totalMs : undefined;
  console.log(`PSI ${size.toLocaleString('en')} × ${size.toLocaleString('en')}, 50% overlap, two nodes in one process on ${database}; seeding ${num(seedMs / 1000, 1)} s (not counted); load average ${load.map((l) => l.toFixed(2)).join(' / ')} at start.\n`);
  console.log(
    formatTable(
      ['suite', ...PHASES.map((p) => `${p} s`), 'total s', 'sent MB', 'received MB', 'peak RSS MB', 'psi.js ÷ this'],
      results.map((r) => [
        r.suite,
        ...PHASES.map((p) => num(r.phasesMs[p] / 1000, 2)),
        num(r.run.wallMs / 1000, 2),
        num(megabytes(r.run.bytes.sent), 2),
        num(megabytes(r.run.bytes.received), 2),
        r.peakRssMb,
        psiJsMs === undefined ? '-' : `${num(psiJsMs / r.run.wallMs, 1)}x`,
      ]),
    ),
  );
  if (peer.status === 'ran') {
    const f = peer.figures;
    console.log('\n' + formatTable(
      [`@openmined/psi.js ${PSI_JS_VERSION}`, 'setup s', 'request s', 'response s', 'intersect s', 'total s', 'setup MB', 'request MB', 'response MB', 'found', 'peak RSS MB'],
      [['P-256, GCS fpr 1e-6, 1 thread', num(f.phasesMs.setup / 1000, 2), num(f.phasesMs.request / 1000, 2), num(f.phasesMs.response / 1000, 2), num(f.phasesMs.intersect / 1000, 2), num(f.totalMs / 1000, 2), num(megabytes(f.bytes.setup), 2), num(megabytes(f.bytes.request), 2), num(megabytes(f.bytes.response), 2), f.found, peer.peakRssMb]],
    ));
  } else {
    console.log(`\n@openmined/psi.js: ${peer.status}: ${peer.reason}`);
  }
}

export const psiBenchmark: Benchmark = {
  name: 'psi',
  describe: 'PSI between two local nodes, N×N with 50% overlap, per suite, against @openmined/psi.js (--size, default 100,000; --suite ristretto255|x25519-elligator2|both; --no-psijs; --smoke 2,000 without psi.js)',
  options: { size: { type: 'string' }, suite: { type: 'string' }, 'no-psijs': { type: 'boolean' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const smoke = flag(options, 'smoke');
    const size = intOption(options, 'size', smoke ? 2_000 : 100_000, { min: MIN_SIZE });
    const suites = suitesOf(options.suite);
    const loadAtStart = loadavg();
    const { database, seedMs, results } = await runAccord(size, suites, progress);
    const peer: PsiJsOutcome = smoke || flag(options, 'no-psijs') ? { status: 'skipped', reason: smoke ? '--smoke' : '--no-psijs' } : await runPeer(size, progress);
    const loadAtEnd = loadavg();
    printReport(size, database, seedMs, results, peer, loadAtStart);
    const psiJsMs = peer.status === 'ran' ? peer.figures.totalMs : undefined;
    return {
      size,
      overlap: size - Math.floor(size / 2),
      database,
      loadAverage: { start: loadAtStart.map((l) => Number(l.toFixed(2))), end: loadAtEnd.map((l) => Number(l.toFixed(2))) },
      seedSeconds: seconds(seedMs),
      suites: results.map((r) => ({
        suite: r.suite,
        totalSeconds: seconds(r.run.wallMs),
        phasesSeconds: Object.fromEntries(PHASES.map((p) => [p, seconds(r.phasesMs[p])])),
        serverPrepareSeconds: seconds(r.run.serverPrepareMs),
        bytes: r.run.bytes,
        peakRssMb: r.peakRssMb,
        matched: r.run.matched,
        psiJsSpeedup: psiJsMs === undefined ? null : Number((psiJsMs / r.run.wallMs).toFixed(2)),
        goalSeconds: GOAL_SECONDS[r.suite],
      })),
      psiJs:
        peer.status === 'ran'
          ? { version: PSI_JS_VERSION, status: 'ran', fpr: PSI_JS_FPR, totalSeconds: seconds(peer.figures.totalMs), phasesSeconds: Object.fromEntries(Object.entries(peer.figures.phasesMs).map(([k, v]) => [k, seconds(v)])), bytes: peer.figures.bytes, found: peer.figures.found, peakRssMb: peer.peakRssMb }
          : { version: PSI_JS_VERSION, status: peer.status, reason: peer.reason },
      processMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      goalRssMb: GOAL_RSS_MB,
    };
  },
};
