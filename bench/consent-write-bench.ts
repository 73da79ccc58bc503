/**
 * `consent-write`: single consent events per second over HTTP (POST /v1/consent/events, one event
 * per request, a fresh client event id each), with N concurrent writers on one tenant's chain.
 * Every append holds the chain head's lock, so without group commit the rate stays flat whatever
 * N is; with it, the writers that queue during one chain transaction go in the next one together.
 * The writers run in a worker thread (keep-alive fetch), so the node keeps the main thread's event
 * loop; the chain is verified at the end.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { publishNotice } from '../core/consent/notices.ts';
import { definePurpose } from '../core/consent/purposes.ts';
import { verifyConsentLog } from '../core/consent/verify-consent-log.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { createApiKey } from '../core/tenancy/api-keys.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { startBenchNode } from './bench-node.ts';
import { BenchOptionError, flag, intOption, type Benchmark } from './benchmark.ts';
import { formatTable, num } from './report.ts';

interface WriterFigures {
  writers: number;
  events: number;
  eventsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
}

/** Plain JavaScript for the load thread: N loops, each POSTing one event at a time until the deadline. */
const LOAD = `
const { parentPort, workerData: { url, token, noticeId, writers, seconds, prefix } } = require('node:worker_threads');
const latencies = [];
let errors = 0;
let next = 0;
const deadline = performance.now() + seconds * 1000;
async function writer() {
  while (performance.now() < deadline) {
    const i = next++;
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
      body: JSON.stringify({ clientEventId: prefix + i, subject: 'member-' + i, purpose: 'marketing.sms', regime: 'pipl', kind: 'given', noticeId, channel: 'app', source: 'bench', collectedAt: new Date().toISOString() }),
    }).catch(() => undefined);
    if (!response || response.status !== 201) errors++;
    await response?.arrayBuffer();
    latencies.push(performance.now() - started);
  }
}
Promise.all(Array.from({ length: writers }, writer)).then(() => parentPort.postMessage({ latencies, errors }));
`;

function runLoad(data: { url: string; token: string; noticeId: string; writers: number; seconds: number; prefix: string }): Promise<{ latencies: number[]; errors: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD, { eval: true, workerData: data });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

function writerCounts(value: string | boolean | undefined, smoke: boolean): number[] {
  if (value === undefined) return smoke ? [1, 16] : [1, 8, 32, 64];
  const counts = String(value).split(',').map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 1_000)) throw new BenchOptionError(`--writers: a comma-separated list of 1..1000, got ${JSON.stringify(value)}`);
  return counts;
}

export const consentWriteBenchmark: Benchmark = {
  name: 'consent-write',
  describe: 'single consent events per second over HTTP with N concurrent writers on one chain (--writers 1,8,32,64; --duration s)',
  options: { writers: { type: 'string' }, duration: { type: 'string' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const smoke = flag(options, 'smoke');
    const seconds = intOption(options, 'duration', smoke ? 2 : 10);
    const counts = writerCounts(options.writers, smoke);
    const { node, close } = await startBenchNode({ rateLimitPerMinute: 100_000_000 });
    try {
      const { db } = node.database;
      const tenant = await ensureTenant(db, 'bench');
      const noticeId = await withTenant(db, tenant.id, async (trx) => {
        await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: 365, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
        return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '短信营销', purposes: ['marketing.sms'], recipients: [], dataCategories: ['phone'] })).id;
      });
      const { token } = await createApiKey(db, { tenantId: tenant.id, name: 'bench', scopes: ['consent:write'] });
      const rows: WriterFigures[] = [];
      for (const writers of counts) {
        progress(`${writers} writer(s) for ${seconds} s on ${node.database.target.kind}`);
        const started = performance.now();
        const { latencies, errors } = await runLoad({ url: `${node.url}/v1/consent/events`, token, noticeId, writers, seconds, prefix: `w${writers}-` });
        const elapsed = (performance.now() - started) / 1000;
        const sorted = latencies.sort((a, b) => a - b);
        rows.push({ writers, events: latencies.length - errors, eventsPerSecond: Math.round((latencies.length - errors) / elapsed), latencyP50Ms: Math.round(percentile(sorted, 0.5)), latencyP99Ms: Math.round(percentile(sorted, 0.99)), errors });
      }
      const verification = await withTenant(db, tenant.id, (trx) => verifyConsentLog(trx));
      if (!verification.ok) throw new Error(`the chain does not verify: ${JSON.stringify(verification.firstBad)}`);
      console.log(`POST /v1/consent/events, one event per request, ${seconds} s per row, on ${node.database.target.kind}; chain verified (${verification.eventsChecked.toLocaleString('en')} events).\n`);
      console.log(formatTable(['writers', 'events', 'events/s', 'p50 ms', 'p99 ms', 'errors'], rows.map((r) => [r.writers, r.events.toLocaleString('en'), num(r.eventsPerSecond, 0), r.latencyP50Ms, r.latencyP99Ms, r.errors])));
      return { database: node.database.target.kind, durationSeconds: seconds, rows, eventsVerified: verification.eventsChecked };
    } finally {
      await close();
    }
  },
};
