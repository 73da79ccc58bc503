import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobProcessors } from '../../../api/job-processors.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { enqueueJob } from '../../../core/jobs/enqueue-job.ts';
import { executeJob } from '../../../core/jobs/job-store.ts';
import { COMPUTE_SQL_TAG_JOB } from '../../../core/tags/compute-sql-tag-job.ts';
import { computeSqlTag, SQL_TAG_ACTIVITY } from '../../../core/tags/compute-sql-tag.ts';
import { defaultSqlTagLimits, runSqlTagQuery, type SqlTagLimits } from '../../../core/tags/sql-tag-sandbox.ts';
import { defineTag } from '../../../core/tags/tag-definitions.ts';
import { TagError } from '../../../core/tags/tag-errors.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { addOrder, addPersons, OUTDOOR_BUYER_90D } from './tag-fixtures.ts';

async function failure(work: Promise<unknown>): Promise<{ code: string; reason: unknown }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof TagError) return { code: error.code, reason: error.extensions.reason };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe.each(storageBackends)('SQL tags on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let other: string;
  let brandPersons: number[];
  let otherPersons: number[];
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  const gate = new ConsentGate();
  const sandbox = (query: string, limits: Partial<SqlTagLimits> = {}) => runSqlTagQuery(inBrand, query, { ...defaultSqlTagLimits, ...limits });
  const define = (key: string, query: string, extra: { valueType?: 'boolean' | 'number' | 'text'; multiValued?: boolean; scheduleSeconds?: number | null } = {}) =>
    inBrand((trx) => defineTag(trx, { key, kind: 'sql', query, valueType: extra.valueType ?? 'boolean', multiValued: extra.multiValued ?? false, description: 'test', owner: 'analyst', scheduleSeconds: extra.scheduleSeconds ?? null }, 'test'));
  const values = (tenantId: string, tag: string) =>
    withTenant(t.db, tenantId, (trx) => trx.selectFrom('tag_values').select(['person_id', 'value']).where('tag_key', '=', tag).orderBy('person_id').execute());

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    other = (await ensureTenant(t.db, 'other')).id;
    // Not a test of consent: an opt-out regime lets silence allow profiling (profiling-gate.test.ts covers PIPL).
    for (const tenant of [brand, other]) await setFirstPartyRegime(t.db, tenant, 'ccpa', 'test');
    brandPersons = await addPersons(t.db, brand, 4);
    otherPersons = await addPersons(t.db, other, 1);
    const [twice, onceRecent, oldAndRecent] = brandPersons;
    await addOrder(t.db, brand, twice!, 10, 'outdoor');
    await addOrder(t.db, brand, twice!, 40, 'outdoor');
    await addOrder(t.db, brand, onceRecent!, 5, 'outdoor');
    await addOrder(t.db, brand, onceRecent!, 6, 'shoes');
    await addOrder(t.db, brand, oldAndRecent!, 20, 'outdoor');
    await addOrder(t.db, brand, oldAndRecent!, 200, 'outdoor');
    // The other tenant's person qualifies too, and must not appear in the brand's tag.
    for (const days of [1, 2, 3]) await addOrder(t.db, other, otherPersons[0]!, days, 'outdoor');
  });
  afterEach(async () => t.dispose());

  it("computes outdoor_buyer_90d from the analyst's query, for this tenant only, with a processing record", async () => {
    await define('outdoor_buyer_90d', OUTDOOR_BUYER_90D);
    const run = await computeSqlTag(inBrand, gate, 'outdoor_buyer_90d', 'test');
    expect(run).toMatchObject({ tag: 'outdoor_buyer_90d', rows: 1, persons: 1 });
    expect(await values(brand, 'outdoor_buyer_90d')).toEqual([{ person_id: brandPersons[0], value: true }]);
    const record = await inBrand((trx) => trx.selectFrom('processing_records').selectAll().where('id', '=', run.processingRecordId).executeTakeFirstOrThrow());
    expect(record).toMatchObject({ activity: SQL_TAG_ACTIVITY, subjects_in: 1, subjects_out: 1, details: { tag: 'outdoor_buyer_90d' } });

    // A later run replaces the previous values in full.
    await addOrder(t.db, brand, brandPersons[1]!, 1, 'outdoor');
    await computeSqlTag(inBrand, gate, 'outdoor_buyer_90d', 'test');
    expect((await values(brand, 'outdoor_buyer_90d')).map((row) => row.person_id)).toEqual([brandPersons[0], brandPersons[1]]);
  });

  it('builds number and multi-valued text tags with window functions and extract', async () => {
    await define('orders_rank', 'select person_id, rank() over (order by count(*) desc, person_id) as value from orders_v group by person_id', { valueType: 'number' });
    await computeSqlTag(inBrand, gate, 'orders_rank', 'test');
    expect((await values(brand, 'orders_rank')).map((row) => row.value)).toEqual([1, 2, 3]);

    await define('categories', "select o.person_id, i.category as value from orders_v o join order_items_v i using (order_id) where extract(year from o.placed_at) > 2000", { valueType: 'text', multiValued: true });
    await computeSqlTag(inBrand, gate, 'categories', 'test');
    expect((await values(brand, 'categories'))[1]).toEqual({ person_id: brandPersons[1], value: ['outdoor', 'shoes'] });
  });

  it('refuses results that do not fit the tag and keeps the previous values and the reason', async () => {
    await define('flag', 'select person_id, true as value from persons_v');
    await computeSqlTag(inBrand, gate, 'flag', 'test');
    await t.db.updateTable('tag_definitions').set({ query: "select person_id, 'yes' as value from persons_v" }).where('key', '=', 'flag').execute();
    expect(await failure(computeSqlTag(inBrand, gate, 'flag', 'test'))).toMatchObject({ code: 'ACCORD_ERR_TAG_SQL_RESULT' });
    await t.db.updateTable('tag_definitions').set({ query: 'select o.person_id, true as value from orders_v o' }).where('key', '=', 'flag').execute();
    expect(await failure(computeSqlTag(inBrand, gate, 'flag', 'test'))).toMatchObject({ code: 'ACCORD_ERR_TAG_SQL_RESULT' });
    await t.db.updateTable('tag_definitions').set({ query: `select ${otherPersons[0]} as person_id, true as value` }).where('key', '=', 'flag').execute();
    expect(await failure(computeSqlTag(inBrand, gate, 'flag', 'test'))).toMatchObject({ code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON' });
    expect(await values(brand, 'flag')).toHaveLength(4);
    const tag = await inBrand((trx) => trx.selectFrom('tag_definitions').select('last_error').where('key', '=', 'flag').executeTakeFirstOrThrow());
    expect(tag.last_error).toMatchObject({ code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON' });
  });

  it('re-checks stored SQL before running it (a row written around the API is still refused)', async () => {
    await define('flag', 'select person_id, true as value from persons_v');
    await t.db.updateTable('tag_definitions').set({ query: 'select id as person_id, true as value from tenants' }).where('key', '=', 'flag').execute();
    expect(await failure(computeSqlTag(inBrand, gate, 'flag', 'test'))).toEqual({ code: 'ACCORD_ERR_TAG_SQL_REFUSED', reason: 'relation' });
  });

  it('caps rows: a huge cross join is refused, not truncated', async () => {
    await define('cross', 'select a.person_id, true as value from persons_v a, persons_v b, persons_v c');
    expect(await failure(computeSqlTag(inBrand, gate, 'cross', 'test', { ...defaultSqlTagLimits, maxRows: 50 }))).toEqual({ code: 'ACCORD_ERR_TAG_SQL_LIMIT', reason: 'rows' });
    expect(await values(brand, 'cross')).toEqual([]);
  });

  it('refuses, before running it, a query the planner prices beyond the budget', async () => {
    // Test tables are tiny, so the budget is scaled down to them: a lone view scan fits, a 7-way join does not.
    const limits = { ...defaultSqlTagLimits, maxCost: 40 };
    await define('explode', 'select min(a.person_id) as person_id, count(*) > 0 as value from persons_v a, persons_v b, persons_v c, persons_v d, persons_v e, orders_v f, orders_v g');
    expect(await failure(computeSqlTag(inBrand, gate, 'explode', 'test', limits))).toEqual({ code: 'ACCORD_ERR_TAG_SQL_LIMIT', reason: 'cost' });
    await define('everyone', 'select person_id, true as value from persons_v');
    await expect(computeSqlTag(inBrand, gate, 'everyone', 'test', limits)).resolves.toMatchObject({ persons: 4 });
  });

  describe('the database refuses what the parser would miss', () => {
    it('sees only its own tenant through the views', async () => {
      const rows = await sandbox('select person_id, true as value from persons_v union all select person_id, true from orders_v');
      expect(new Set(rows.map((row) => row.person_id))).toEqual(new Set(brandPersons));
    });

    it.each([
      ['reading a base table', 'select person_id, true as value from public.orders', 'permission'],
      ['reading api keys', 'select 1 as person_id, secret_hash as value from public.api_keys', 'permission'],
      ['reading pg_authid', 'select 1 as person_id, rolpassword as value from pg_catalog.pg_authid', 'permission'],
      ['moving the tenant fence', `select 1 as person_id, set_config('accord.tenant_id', '00000000-0000-0000-0000-000000000000', true) as value`, 'permission'],
      ['switching back to a stronger role', `select 1 as person_id, set_config('role', 'accord_tenant', true) as value`, 'permission'],
      ['a base table unqualified (not on the search path)', 'select person_id, true as value from orders', 'database'],
    ])('%s', async (_name, query, reason) => {
      expect(await failure(sandbox(query))).toMatchObject({ code: 'ACCORD_ERR_TAG_SQL_FAILED', reason });
    });

    it('leaves nothing behind, even a write READ ONLY does not stop on every server', async () => {
      // Postgres 15 lets lo_from_bytea write in a read-only transaction; PGlite (18) refuses it.
      await sandbox(`select 1 as person_id, lo_from_bytea(0, 'x')::text as value`).catch((error: unknown) => expect(error).toMatchObject({ code: 'ACCORD_ERR_TAG_SQL_FAILED' }));
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_largeobject_metadata`.execute(t.db);
      expect(rows).toEqual([{ n: 0 }]);
    });

    it('cannot smuggle a second statement past the wrapper', async () => {
      expect(await failure(sandbox('select 1 as person_id, true as value) q; delete from public.orders; select (1'))).toMatchObject({ code: 'ACCORD_ERR_TAG_SQL_FAILED' });
      expect(await t.db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 9 });
    });

    // PGlite runs in one thread and does not enforce statement_timeout; there the policy refuses pg_sleep.
    it.skipIf(backend === 'pglite')('stops a query at the statement timeout', async () => {
      expect(await failure(sandbox('select 1 as person_id, pg_sleep(30)::text as value', { timeoutMs: 200 }))).toEqual({ code: 'ACCORD_ERR_TAG_SQL_LIMIT', reason: 'timeout' });
    });
  });

  it('recomputes through the job queue and schedules the next run', async () => {
    await define('outdoor_buyer_90d', OUTDOOR_BUYER_90D, { scheduleSeconds: 3_600 });
    const jobId = await inBrand((trx) => enqueueJob(trx, COMPUTE_SQL_TAG_JOB, { tag: 'outdoor_buyer_90d' }));
    const job = await t.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(await executeJob(t.db, jobProcessors(gate), job)).toEqual({ ok: true });
    expect(await values(brand, 'outdoor_buyer_90d')).toEqual([{ person_id: brandPersons[0], value: true }]);
    const next = await t.db.selectFrom('jobs').selectAll().where('name', '=', COMPUTE_SQL_TAG_JOB).where('id', '!=', jobId).execute();
    expect(next).toHaveLength(1);
    expect(next[0]!.run_at.getTime() - Date.now()).toBeGreaterThan(3_000_000);
    // Delivered twice: still one scheduled run.
    expect(await executeJob(t.db, jobProcessors(gate), job)).toEqual({ ok: true });
    expect(await t.db.selectFrom('jobs').select('id').where('name', '=', COMPUTE_SQL_TAG_JOB).where('id', '!=', jobId).execute()).toHaveLength(1);
  });

  it('fails a job whose SQL is refused at once, without retries', async () => {
    await define('flag', 'select person_id, true as value from persons_v');
    await t.db.updateTable('tag_definitions').set({ query: 'select pg_sleep(10)' }).where('key', '=', 'flag').execute();
    const jobId = await inBrand((trx) => enqueueJob(trx, COMPUTE_SQL_TAG_JOB, { tag: 'flag' }));
    const job = await t.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(await executeJob(t.db, jobProcessors(gate), job)).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('ACCORD_ERR_TAG_SQL_REFUSED') });
  });
});
