/**
 * `responsiveness`: does a node keep answering while it works? autocannon at a fixed rate against
 * `GET /health` and `POST /v1/consent/check` of a real node while the node (1) ingests a members CSV
 * and (2) serves a PSI run, and, for reference, while it is idle. The consent checks ask about 2,000
 * subjects in turn, so some answer from the point gate's memory and some read the ledger, waiting
 * for the database like any request. Reports p50/p99/max, errors and timeouts per route and
 * workload, and the longest event-loop stall of the process. Goal (issue 11): p99 ≤ 100 ms and no
 * timeouts under both workloads, on the embedded default and on Postgres (DATABASE_URL).
 * The PSI workload runs two nodes in this process, as the psi benchmark does; the load goes to the
 * partner, which serves the run (brand set × partner set, 50% of the brand's set in common).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ingestFile } from '../core/ingest/ingest-file.ts';
import { createApiKey } from '../core/tenancy/api-keys.ts';
import { flag, intOption, type Benchmark } from './benchmark.ts';
import { writeMembers } from './ingest-bench.ts';
import type { LoadRequest } from './load.ts';
import { startLoad, type RouteFigures } from './open-ended-load.ts';
import { approvedCollaboration, introduce, runPsi, startPsiBenchNode, type PsiBenchNode } from './psi-nodes.ts';
import { BENCH_PURPOSE, defineOptOutMatching, seedEmailPersons } from './psi-seed.ts';
import { formatTable, num } from './report.ts';

const GOAL_P99_MS = 100;
const SUBJECTS = 2_000;
const IDLE_SECONDS = 5;

type Workload = 'idle' | 'ingest' | 'psi';
type Route = 'GET /health' | 'POST /v1/consent/check';

interface Measured {
  workload: Workload;
  /** What the work was, for the table. */
  work: string;
  workSeconds: number;
  /** The longest the process's event loop was blocked during the work. */
  eventLoopMaxMs: number;
  routes: Record<Route, RouteFigures>;
}

interface LoadSettings {
  connections: number;
  rate: number;
  timeout: number;
}

/** Loads both routes of `node` while `work` runs; the routes' figures and the event loop's worst stall. */
async function whileWorking(node: PsiBenchNode, settings: LoadSettings, work: () => Promise<void>): Promise<{ seconds: number; eventLoopMaxMs: number; routes: Record<Route, RouteFigures> }> {
  const { token } = await createApiKey(node.db, { tenantId: node.tenantId, name: `responsiveness-${Date.now()}`, scopes: ['consent:read'] });
  const checks: LoadRequest[] = Array.from({ length: SUBJECTS }, (_, i) => ({
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: `member-${i}`, purpose: BENCH_PURPOSE, regime: 'pipl' }),
  }));
  const check = await fetch(`${node.url}/v1/consent/check`, { method: 'POST', headers: checks[0]!.headers!, body: checks[0]!.body! });
  if (!check.ok) throw new Error(`POST /v1/consent/check answered ${check.status}: ${await check.text()}`);
  const loads = {
    'GET /health': startLoad(`${node.url}/health`, settings, [{ method: 'GET' }]),
    'POST /v1/consent/check': startLoad(`${node.url}/v1/consent/check`, settings, checks),
  };
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  let failed: unknown;
  try {
    await work();
  } catch (error) {
    failed = error;
  }
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  const routes = { 'GET /health': await loads['GET /health'].stop(), 'POST /v1/consent/check': await loads['POST /v1/consent/check'].stop() };
  if (failed) throw failed;
  return { seconds, eventLoopMaxMs: Math.round(delay.max / 1e6), routes };
}

async function measureIdle(settings: LoadSettings): Promise<Measured> {
  const node = await startPsiBenchNode('Idle');
  try {
    await defineOptOutMatching(node.db, node.tenantId);
    const measured = await whileWorking(node, settings, () => new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000)));
    return { workload: 'idle', work: `${IDLE_SECONDS} s idle`, workSeconds: measured.seconds, eventLoopMaxMs: measured.eventLoopMaxMs, routes: measured.routes };
  } finally {
    await node.close();
  }
}

async function measureIngest(members: number, settings: LoadSettings, progress: (line: string) => void): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'accord-responsiveness-'));
  const node = await startPsiBenchNode('Ingest');
  try {
    const path = join(dir, 'members.csv');
    progress(`writing ${members.toLocaleString('en')} member rows`);
    await writeMembers(path, members);
    await defineOptOutMatching(node.db, node.tenantId);
    progress(`ingesting them on ${node.databaseKind} under load`);
    const measured = await whileWorking(node, settings, async () => {
      // The ingest a file upload runs, on the node's own database and event loop.
      const run = await ingestFile(node.db, node.identifierKeys, node.tenantId, 'members', path, { format: 'csv', actor: 'bench' });
      if (run.status !== 'completed' || run.applied !== members) throw new Error(`ingest did not apply every row: ${JSON.stringify(run)}`);
    });
    return { workload: 'ingest', work: `ingest ${members.toLocaleString('en')} members`, workSeconds: measured.seconds, eventLoopMaxMs: measured.eventLoopMaxMs, routes: measured.routes };
  } finally {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measurePsi(brandSize: number, partnerSize: number, settings: LoadSettings, progress: (line: string) => void): Promise<Measured> {
  const nodes: PsiBenchNode[] = [];
  try {
    const brand = await startPsiBenchNode('Brand');
    nodes.push(brand);
    const partner = await startPsiBenchNode('Partner');
    nodes.push(partner);
    const brandOnPartner = await introduce(brand, partner);
    // Half the brand's persons are among the partner's: brand 0..B-1, partner B/2..B/2+P-1.
    const first = Math.floor(brandSize / 2);
    progress(`seeding ${brandSize.toLocaleString('en')} brand and ${partnerSize.toLocaleString('en')} partner persons on ${brand.databaseKind} (not measured)`);
    for (const [node, from, count] of [[brand, 0, brandSize], [partner, first, partnerSize]] as const) {
      await defineOptOutMatching(node.db, node.tenantId);
      await seedEmailPersons(node.db, node.identifierKeys, node.tenantId, from, count, () => {});
    }
    const collaborationId = await approvedCollaboration(brand, partner, brandOnPartner, 'x25519-elligator2');
    progress('running PSI under load');
    let membersStored = 0;
    const measured = await whileWorking(partner, settings, async () => {
      const run = await runPsi(brand, partner, collaborationId, progress);
      membersStored = run.membersStored;
    });
    const expected = Math.min(brandSize - first, partnerSize);
    if (membersStored !== expected) throw new Error(`the run stored ${membersStored} matched members, expected ${expected}`);
    return { workload: 'psi', work: `PSI ${brandSize.toLocaleString('en')} × ${partnerSize.toLocaleString('en')}`, workSeconds: measured.seconds, eventLoopMaxMs: measured.eventLoopMaxMs, routes: measured.routes };
  } finally {
    for (const node of nodes.reverse()) await node.close();
  }
}

const meetsGoal = (figures: RouteFigures) => figures.latencyP99Ms <= GOAL_P99_MS && figures.timeouts === 0 && figures.errors === 0 && figures.non2xx === 0;

export const responsivenessBenchmark: Benchmark = {
  name: 'responsiveness',
  describe: 'GET /health and POST /v1/consent/check latency while the node ingests members (--members, default 1,000,000) and serves a PSI run (--brand 100,000 × --partner 1,000,000)',
  options: {
    members: { type: 'string' },
    brand: { type: 'string' },
    partner: { type: 'string' },
    workload: { type: 'string' },
    rate: { type: 'string' },
    connections: { type: 'string' },
    smoke: { type: 'boolean' },
  },
  async run(options, progress) {
    const smoke = flag(options, 'smoke');
    const members = intOption(options, 'members', smoke ? 5_000 : 1_000_000);
    const brandSize = intOption(options, 'brand', smoke ? 2_000 : 100_000, { min: 200 });
    const partnerSize = intOption(options, 'partner', smoke ? 4_000 : 1_000_000, { min: 200 });
    const settings: LoadSettings = { connections: intOption(options, 'connections', 4), rate: intOption(options, 'rate', 100), timeout: 10 };
    const chosen = String(options.workload ?? 'all');
    const workloads: Workload[] = chosen === 'all' ? ['idle', 'ingest', 'psi'] : (chosen.split(',') as Workload[]);
    const results: Measured[] = [];
    for (const workload of workloads) {
      progress(`workload ${workload}`);
      if (workload === 'idle') results.push(await measureIdle(settings));
      else if (workload === 'ingest') results.push(await measureIngest(members, settings, progress));
      else if (workload === 'psi') results.push(await measurePsi(brandSize, partnerSize, settings, progress));
      else throw new Error(`--workload: expected idle, ingest, psi or a comma-separated list of them, got ${JSON.stringify(chosen)}`);
    }
    const database = process.env.DATABASE_URL ? 'postgres' : 'pglite';
    console.log(`Each route at ${settings.rate} req/s over ${settings.connections} connections (10 s timeout) on ${database}; goal p99 ≤ ${GOAL_P99_MS} ms, no timeouts.\n`);
    console.log(
      formatTable(
        ['workload', 'work s', 'event loop max ms', 'route', 'requests', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'timeouts', 'non-2xx', 'goal'],
        results.flatMap((r) =>
          (Object.entries(r.routes) as Array<[Route, RouteFigures]>).map(([route, f]) => [r.work, num(r.workSeconds, 1), r.eventLoopMaxMs, route, f.requests, f.latencyP50Ms, f.latencyP99Ms, f.latencyMaxMs, f.errors, f.timeouts, f.non2xx, meetsGoal(f) ? 'met' : 'MISSED']),
        ),
      ),
    );
    return {
      database,
      ratePerRoute: settings.rate,
      connections: settings.connections,
      goalP99Ms: GOAL_P99_MS,
      goalMet: results.every((r) => Object.values(r.routes).every(meetsGoal)),
      workloads: results,
    };
  },
};
