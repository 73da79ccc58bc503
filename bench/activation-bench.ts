/**
 * `activation`: a sync of an N-member segment (default 1,000,000 persons, each with an email and a
 * mainland mobile number, sealed as ingest leaves them, opt-out consent) to the Meta and Tencent
 * contract servers, on a throwaway database with the node's job runner in process; then a 1% change
 * (half of it leaving the segment, half joining) and a diff sync. Reports members/s for the full and
 * the diff sync end to end (plan: read, consent gate, diff; chunks: re-gate, open sealed ids,
 * normalise and hash per platform, send, write the ledger with the sent ids sealed), the requests
 * and bytes sent. Goals: full ≥ 50,000 members/s; the diff sends exactly the change, in under a
 * tenth of the full sync's time.
 */
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { audienceConnectorsOf } from '../api/audience-connectors.ts';
import { startMetaContractServer } from '../connectors/meta/contract-server.ts';
import { metaAudiences } from '../connectors/meta/meta-audiences.ts';
import { startTencentContractServer } from '../connectors/tencent/contract-server.ts';
import { tencentAudiences } from '../connectors/tencent/tencent-audiences.ts';
import { createDestination } from '../core/activation/destinations.ts';
import { activationJobProcessors } from '../core/activation/sync-jobs.ts';
import { findRun, startRun, type RunView } from '../core/activation/sync-runs.ts';
import { createSync } from '../core/activation/syncs.ts';
import { ConsentGate } from '../core/consent/consent-gate.ts';
import type { Database } from '../core/db/schema.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { canonicalIdentifier } from '../core/identifiers/identifier.ts';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import { createInProcessRunner } from '../core/jobs/in-process-runner.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { intOption, type Benchmark } from './benchmark.ts';
import { BENCH_PURPOSE, defineOptOutMatching } from './psi-seed.ts';
import { formatTable, num } from './report.ts';
import { withThrowawayDatabase } from './throwaway-database.ts';

const SEED_BATCH = 50_000;
const MASTER_KEY = new Uint8Array(32).fill(7);
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Persons first … first + count - 1, each with an email and a mainland mobile, and their consent subjects. */
async function seed(db: Kysely<Database>, keys: IdentifierKeys, tenantId: string, first: number, count: number, progress: (line: string) => void): Promise<void> {
  for (let from = first; from < first + count; from += SEED_BATCH) {
    const n = Math.min(SEED_BATCH, first + count - from);
    const types: string[] = [];
    const lookups: Buffer[] = [];
    const sealed: Buffer[] = [];
    for (let i = from; i < from + n; i++) {
      for (const identifier of [canonicalIdentifier('email', `member${i}@example.com`), canonicalIdentifier('phone', `+86139${String(i).padStart(8, '0')}`)]) {
        const lookup = keys.lookupHash(tenantId, identifier);
        types.push(identifier.type);
        lookups.push(asBuffer(lookup));
        sealed.push(asBuffer(keys.seal(tenantId, identifier, lookup)));
      }
    }
    await withTenant(db, tenantId, async (trx) => {
      const persons = await sql<{ id: string; subject: string }>`insert into persons (tenant_id) select ${tenantId}::uuid from generate_series(1, ${n}::int) returning id, subject`.execute(trx);
      const identifiers = await sql<{ id: string }>`
        insert into identifiers (tenant_id, type, scope, lookup_hash, value_sealed)
        select ${tenantId}::uuid, u.type, '', u.lookup_hash, u.value_sealed from unnest(${types}::text[], ${lookups}::bytea[], ${sealed}::bytea[]) with ordinality as u(type, lookup_hash, value_sealed, n) order by u.n
        returning id`.execute(trx);
      const personIds = persons.rows.map((row) => Number(row.id));
      await sql`
        insert into identity_links (tenant_id, identifier_id, identifier_type, person_id)
        select ${tenantId}::uuid, u.identifier_id, u.type, u.person_id
          from unnest(${identifiers.rows.map((row) => Number(row.id))}::bigint[], ${types}::text[], ${personIds.flatMap((id) => [id, id])}::bigint[]) as u(identifier_id, type, person_id)`.execute(trx);
      await sql`insert into consent_subjects (tenant_id, subject) select ${tenantId}::uuid, s from unnest(${persons.rows.map((row) => row.subject)}::text[]) as u(s)`.execute(trx);
    });
    progress(`seeded ${num(from - first + n)} persons`);
  }
  for (const table of ['persons', 'identifiers', 'identity_links', 'consent_subjects']) await sql`analyze ${sql.table(table)}`.execute(db);
}

/** Bytes and requests of every call the connectors make (they call platforms with fetch). */
function countFetch() {
  const original = globalThis.fetch;
  const counted = { requests: 0, bytes: 0 };
  globalThis.fetch = async (input, init) => {
    counted.requests++;
    const body = init?.body;
    if (typeof body === 'string') counted.bytes += Buffer.byteLength(body);
    else if (body instanceof Uint8Array) counted.bytes += body.byteLength;
    else if (body instanceof FormData) for (const [, value] of body) counted.bytes += typeof value === 'string' ? Buffer.byteLength(value) : value.size;
    return original(input, init);
  };
  return { counted, restore: () => void (globalThis.fetch = original) };
}

export const activationBenchmark: Benchmark = {
  name: 'activation',
  describe: 'sync an N-member segment (default 1,000,000) to the Meta and Tencent contract servers, then a 1% change as a diff sync; members/s, requests, bytes',
  options: { members: { type: 'string' }, workers: { type: 'string' } },
  async run(options, progress) {
    const members = intOption(options, 'members', 1_000_000);
    const workers = intOption(options, 'workers', 2);
    const changed = Math.max(2, Math.round(members / 100));
    const meta = await startMetaContractServer({ minimumSize: 1 });
    const tencent = await startTencentContractServer({ minimumSize: 1, pollsToFinish: 1 });
    const fetches = countFetch();
    try {
      return await withThrowawayDatabase(async ({ db, description }) => {
        const tenant = await ensureTenant(db, 'bench-activation');
        const keys = new IdentifierKeys(MASTER_KEY);
        await defineOptOutMatching(db, tenant.id);
        // The audience and, beyond it, the persons the 1% change brings in.
        await seed(db, keys, tenant.id, 0, members + changed / 2, progress);
        const connectors = audienceConnectorsOf(
          { meta: { audiences: [metaAudiences({ minimumSize: 1 })], startContractServer: startMetaContractServer }, tencent: { audiences: [tencentAudiences()], startContractServer: startTencentContractServer } },
          { meta: meta.url, tencent: tencent.url },
        );
        const gate = new ConsentGate();
        const { syncId, segmentId } = await withTenant(db, tenant.id, async (trx) => {
          const segment = await trx.insertInto('segments').values({ tenant_id: trx.tenantId, name: 'bench', kind: 'imported', rule: null, schedule_seconds: null, created_by: 'bench' }).returning('id').executeTakeFirstOrThrow();
          await sql`insert into segment_members (tenant_id, segment_id, person_id) select ${trx.tenantId}::uuid, ${segment.id}, id from persons order by id limit ${members}`.execute(trx);
          const destinations = [];
          for (const [connector, server] of [['meta', meta], ['tencent', tencent]] as const) destinations.push(await createDestination(trx, connectors, MASTER_KEY, { connector, name: connector, accountId: '120330000000000', credentials: server.credentials }));
          const sync = await createSync(trx, connectors, { name: 'bench', audience: { kind: 'segment', segmentId: Number(segment.id) }, destinations: destinations.map((d) => ({ id: d.id })), purpose: BENCH_PURPOSE, regime: 'pipl', scheduleSeconds: null });
          return { syncId: sync.id, segmentId: Number(segment.id) };
        });
        const runner = createInProcessRunner(db, activationJobProcessors({ connectors, masterKey: MASTER_KEY, gate, pollDelayMs: 50, chunkSize: 50_000 }), { concurrency: workers, pollIntervalMs: 20, abandonedAfterMs: 0 });
        await runner.start();
        const timedRun = async (label: string) => {
          const before = { ...fetches.counted };
          const started = performance.now();
          const { run } = await withTenant(db, tenant.id, (trx) => startRun(trx, syncId, 'bench'));
          runner.wake();
          let view: RunView;
          for (;;) {
            view = (await withTenant(db, tenant.id, (trx) => findRun(trx, run.id)))!;
            if (['done', 'partial', 'failed'].includes(view.state)) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          const seconds = (performance.now() - started) / 1000;
          progress(`${label}: ${view.state} in ${seconds.toFixed(1)} s`);
          return { view, seconds, requests: fetches.counted.requests - before.requests, bytes: fetches.counted.bytes - before.bytes };
        };
        try {
          const full = await timedRun('full sync');
          await withTenant(db, tenant.id, async (trx) => {
            await sql`delete from segment_members where segment_id = ${segmentId} and person_id in (select person_id from segment_members where segment_id = ${segmentId} order by person_id limit ${changed / 2})`.execute(trx);
            await sql`insert into segment_members (tenant_id, segment_id, person_id) select ${trx.tenantId}::uuid, ${segmentId}, id from persons order by id desc limit ${changed / 2}`.execute(trx);
          });
          const diff = await timedRun('diff sync');
          const sent = (view: RunView) => view.destinations.reduce((sum, d) => sum + d.added + d.removed, 0);
          const perDestination = (view: RunView) => view.destinations.map((d) => ({ destination: d.destinationId, state: d.state, added: d.added, removed: d.removed, deadLettered: d.deadLettered }));
          const figures = {
            members,
            workers,
            database: description,
            fullSeconds: Number(full.seconds.toFixed(2)),
            fullMembersPerSecond: Math.round(members / full.seconds),
            fullRequests: full.requests,
            fullBytes: full.bytes,
            diffChanged: changed,
            diffSent: sent(diff.view),
            diffSeconds: Number(diff.seconds.toFixed(2)),
            diffMembersPerSecond: Math.round(changed / diff.seconds),
            diffRequests: diff.requests,
            diffBytes: diff.bytes,
            full: perDestination(full.view),
            diff: perDestination(diff.view),
          };
          console.log(formatTable(['sync', 'members', 'seconds', 'members/s', 'requests', 'bytes'], [
            ['full (Meta + Tencent)', num(members), full.seconds.toFixed(1), num(figures.fullMembersPerSecond), num(full.requests), num(full.bytes)],
            ['diff (1% change)', num(changed), diff.seconds.toFixed(1), num(figures.diffMembersPerSecond), num(diff.requests), num(diff.bytes)],
          ]));
          return figures;
        } finally {
          await runner.stop();
        }
      });
    } finally {
      fetches.restore();
      await meta.close();
      await tencent.close();
    }
  },
};
