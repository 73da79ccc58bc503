/**
 * `segment`: evaluate a 3-condition dynamic segment (city = 上海, lifecycle stage loyal or
 * sleeping, at least one paid order in 365 days) over N persons (default 1,000,000) generated
 * with generate_series on a throwaway database, each with analytics.profiling consent as the
 * ledger would leave it (every 20th refused). Reports the estimate (count), the evaluation
 * (member ids through the consent gate), creating the dynamic segment (evaluation + storing
 * members and changes) and a refresh with nothing changed. Goal: evaluation ≤ 5 s.
 */
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../core/db/schema.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { ConsentGate } from '../core/consent/consent-gate.ts';
import { PROFILING_PURPOSE } from '../core/consent/profiling-purpose.ts';
import { estimateSegmentRule, segmentRuleMembers } from '../core/segments/evaluate-segment.ts';
import { parseSegmentRule } from '../core/segments/segment-rule.ts';
import { createSegment, refreshSegment } from '../core/segments/segment-store.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { flag, intOption, type Benchmark } from './benchmark.ts';
import { formatTable, num } from './report.ts';
import { withThrowawayDatabase } from './throwaway-database.ts';

const RULE = {
  all: [
    { attribute: 'city', op: '=', value: '上海' },
    { tag: 'lifecycle_stage', op: 'in', values: ['loyal', 'sleeping'] },
    { orders: 'count', withinDays: 365, op: '>=', value: 1 },
  ],
};

/** Persons with city and birthday, 0-2 orders each (one item), a lifecycle stage tag and a profiling consent. */
async function generate(db: Kysely<Database>, tenantId: string, persons: number, progress: (line: string) => void): Promise<void> {
  const batch = 250_000;
  await sql`insert into tag_definitions (tenant_id, key, kind, value_type, multi_valued, description, owner, created_by)
    values (${tenantId}::uuid, 'lifecycle_stage', 'static', 'text', false, 'bench', 'bench', 'bench')`.execute(db);
  for (let from = 1; from <= persons; from += batch) {
    const to = Math.min(persons, from + batch - 1);
    const range = sql`(select p.id from persons p where p.tenant_id = ${tenantId}::uuid and p.id between ${from} and ${to})`;
    await sql`insert into persons (tenant_id) select ${tenantId}::uuid from generate_series(${from}::int, ${to}::int)`.execute(db);
    await sql`insert into person_attributes (tenant_id, person_id, key, value, source, observed_at)
      select ${tenantId}::uuid, id, 'city', to_jsonb((array['上海','北京','广州','深圳','杭州','成都'])[id % 6 + 1]), 'bench', now() from ${range} as r`.execute(db);
    await sql`insert into person_attributes (tenant_id, person_id, key, value, source, observed_at)
      select ${tenantId}::uuid, id, 'birthday', to_jsonb(format('%s-%s-%s', 1960 + id % 45, lpad((id % 12 + 1)::text, 2, '0'), lpad((id % 28 + 1)::text, 2, '0'))), 'bench', now() from ${range} as r`.execute(db);
    await sql`insert into tag_values (tenant_id, tag_key, person_id, value, source)
      select ${tenantId}::uuid, 'lifecycle_stage', id, to_jsonb((array['registered_no_purchase','new','active','loyal','sleeping','churned'])[id % 7 % 6 + 1]), 'bench' from ${range} as r`.execute(db);
    await sql`insert into orders (tenant_id, external_id, person_id, placed_at, channel, status, currency, amount)
      select ${tenantId}::uuid, 'o' || id || '-' || n, id, now() - ((id * n) % 700)::int * interval '1 day', (array['tmall','jd','douyin','store'])[(id + n) % 4 + 1], 'paid', 'CNY', (id % 500) + 9.90
      from ${range} as r, generate_series(1, 2) n where (n = 1 and id % 10 < 7) or (n = 2 and id % 10 < 3)`.execute(db);
    await sql`insert into consent_subjects (tenant_id, subject) select ${tenantId}::uuid, 'person:' || id from ${range} as r`.execute(db);
    await sql`
      insert into consent_state (tenant_id, subject, subject_key, purpose, recipient, regime, granted, decided_by_seq, decided_kind, decided_at, expires_at)
      select ${tenantId}::uuid, s.subject, s.key, ${PROFILING_PURPOSE}, '', 'pipl', r.id % 20 <> 0, r.id, case when r.id % 20 = 0 then 'refused' else 'given' end, now(), null
      from ${range} as r join consent_subjects s on s.tenant_id = ${tenantId}::uuid and s.subject = 'person:' || r.id`.execute(db);
    progress(`  ${to.toLocaleString('en')} persons`);
  }
  await sql`insert into consent_chain_heads (tenant_id, seq, link) values (${tenantId}::uuid, ${persons}, ${new Uint8Array(32)})`.execute(db);
  await sql`insert into order_items (tenant_id, order_id, line, sku, category, quantity, amount)
    select tenant_id, id, 1, 'sku-' || (id % 100), (array['outdoor','shoes','apparel'])[id % 3 + 1], 1, amount from orders where tenant_id = ${tenantId}::uuid`.execute(db);
  for (const table of ['persons', 'person_attributes', 'tag_values', 'orders', 'order_items', 'consent_subjects', 'consent_state']) await sql`analyze ${sql.table(table)}`.execute(db);
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

export const segmentBenchmark: Benchmark = {
  name: 'segment',
  describe: 'evaluate a 3-condition dynamic segment over N generated persons (--persons, default 1,000,000; --smoke 10,000)',
  options: { persons: { type: 'string' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const persons = intOption(options, 'persons', flag(options, 'smoke') ? 10_000 : 1_000_000);
    return withThrowawayDatabase(async ({ db, target }) => {
      const tenant = await ensureTenant(db, 'bench');
      progress(`generating ${persons.toLocaleString('en')} persons with attributes, orders and tags in ${target.kind}`);
      const setup = await timed(() => generate(db, tenant.id, persons, progress));
      const rule = parseSegmentRule(RULE);
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(db, tenant.id, work);
      const gate = new ConsentGate();
      const estimate = await timed(() => inTenant((trx) => estimateSegmentRule(trx, gate, rule, 'bench')));
      const evaluate = await timed(() => inTenant(async (trx) => (await segmentRuleMembers(trx, gate, rule, { activity: 'bench.segment', actor: 'bench' })).ids()));
      const create = await timed(() => inTenant((trx) => createSegment(trx, gate, { name: 'bench', kind: 'dynamic', rule: RULE }, 'bench')));
      const refresh = await timed(() => inTenant((trx) => refreshSegment(trx, gate, create.value.segment.id, 'bench')));
      const seconds = (ms: number) => Math.round(ms) / 1000;
      console.log(
        formatTable(
          ['persons', 'database', 'members', 'estimate s', 'evaluate s', 'create (store) s', 'refresh s'],
          [[persons.toLocaleString('en'), target.kind, evaluate.value.length.toLocaleString('en'), num(estimate.ms / 1000, 2), num(evaluate.ms / 1000, 2), num(create.ms / 1000, 2), num(refresh.ms / 1000, 2)]],
        ),
      );
      return {
        persons,
        database: target.kind,
        members: evaluate.value.length,
        setupSeconds: seconds(setup.ms),
        estimateSeconds: seconds(estimate.ms),
        evaluateSeconds: seconds(evaluate.ms),
        createSeconds: seconds(create.ms),
        refreshSeconds: seconds(refresh.ms),
        goalEvaluateSeconds: 5,
      };
    });
  },
};
