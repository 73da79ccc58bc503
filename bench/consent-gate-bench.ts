/**
 * `consent-gate`: gate N subjects (default 10,000,000) for one purpose and named recipient.
 * Reports the projection rebuild (first evaluation: loading consent_state into bitsets) and the gate
 * itself once loaded (median of 5), on a throwaway database (PGlite, or Postgres with DATABASE_URL).
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { ConsentGate } from '../core/consent/consent-gate.ts';
import { definePurpose } from '../core/consent/purposes.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { flag, intOption, type Benchmark } from './benchmark.ts';
import { formatTable, median, num } from './report.ts';
import { withThrowawayDatabase } from './throwaway-database.ts';

export const consentGateBenchmark: Benchmark = {
  name: 'consent-gate',
  describe: 'batch consent gate over N subjects for one purpose + recipient: projection rebuild and gate time',
  options: { subjects: { type: 'string' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const subjects = intOption(options, 'subjects', flag(options, 'smoke') ? 100_000 : 10_000_000);
    return withThrowawayDatabase(async ({ db, target }) => {
      const tenant = await ensureTenant(db, 'bench');
      await withTenant(db, tenant.id, (trx) =>
        definePurpose(trx, { key: 'audience.matching', name: 'Matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: 365, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false }),
      );
      // State as the ledger would leave it: every 20th subject refused, the rest granted for a year.
      progress(`loading ${subjects.toLocaleString('en')} subjects' consent state into ${target.kind}`);
      const loadStarted = performance.now();
      const batch = 1_000_000;
      for (let from = 1; from <= subjects; from += batch) {
        const to = Math.min(subjects, from + batch - 1);
        await sql`insert into consent_subjects (tenant_id, subject) select ${tenant.id}::uuid, 's' || i from generate_series(${from}::int, ${to}::int) i`.execute(db);
        await sql`
          insert into consent_state (tenant_id, subject, subject_key, purpose, recipient, regime, granted, decided_by_seq, decided_kind, decided_at, expires_at)
          select ${tenant.id}::uuid, 's' || i, i, 'audience.matching', 'media-partner', 'pipl', i % 20 <> 0, i,
                 case when i % 20 = 0 then 'refused' else 'given' end, now(), case when i % 20 = 0 then null else now() + interval '365 days' end
          from generate_series(${from}::int, ${to}::int) i`.execute(db);
        progress(`  ${to.toLocaleString('en')} rows`);
      }
      await sql`insert into consent_chain_heads (tenant_id, seq, link) values (${tenant.id}::uuid, ${subjects}, ${new Uint8Array(32)})`.execute(db);
      const setupMs = performance.now() - loadStarted;

      const keys = new Uint32Array(subjects);
      for (let i = 0; i < subjects; i++) keys[i] = i + 1;
      const gate = new ConsentGate();
      const evaluate = () =>
        withTenant(db, tenant.id, (trx) => gate.evaluate(trx, { keys, purpose: 'audience.matching', recipient: 'media-partner', regime: 'pipl', at: new Date(), activity: 'bench.gate', actor: 'bench' }));
      let started = performance.now();
      const first = await evaluate();
      const rebuildMs = performance.now() - started;
      const gateRuns: number[] = [];
      for (let i = 0; i < 5; i++) {
        started = performance.now();
        await evaluate();
        gateRuns.push(performance.now() - started);
      }
      const gateMs = median(gateRuns);
      console.log(
        formatTable(
          ['subjects', 'database', 'rebuild (first gate) ms', 'gate (loaded) ms', 'allowed'],
          [[subjects.toLocaleString('en'), target.kind, num(rebuildMs, 0), num(gateMs, 0), first.size.toLocaleString('en')]],
        ),
      );
      return { subjects, database: target.kind, setupMs: Math.round(setupMs), rebuildMs: Math.round(rebuildMs), gateMs: Math.round(gateMs), allowed: first.size, goalGateMs: 1000 };
    });
  },
};
