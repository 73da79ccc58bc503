import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobProcessors } from '../../../api/job-processors.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { executeJob } from '../../../core/jobs/job-store.ts';
import { COMPUTE_RULE_TAG_JOB, enqueueRuleTagRun } from '../../../core/tags/compute-rule-tag-job.ts';
import { computeRuleTag, RULE_TAG_ACTIVITY } from '../../../core/tags/compute-rule-tag.ts';
import { defineTag } from '../../../core/tags/tag-definitions.ts';
import { TagError } from '../../../core/tags/tag-errors.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { addPersons } from './tag-fixtures.ts';
import { addEvents, addOrders, AS_OF, mergePerson, setAttributes } from './profile-fixtures.ts';

async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string; extensions: Record<string, unknown> }> {
  try {
    await work;
  } catch (error) {
    if (error instanceof TagError) return { code: error.code, message: error.message, extensions: error.extensions };
    throw error;
  }
  throw new Error('expected a refusal');
}

const outdoorTwice90d = { match: { orders: { withinDays: 90, category: 'outdoor' }, op: '>=', value: 2 } };

describe.each(storageBackends)('rule tags on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let other: string;
  let a: number, b: number, c: number, d: number, e: number, f: number;
  let stranger: number;
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  const define = (key: string, rule: unknown, valueType: 'boolean' | 'number' | 'text' = 'boolean', scheduleSeconds: number | null = null) =>
    inBrand((trx) => defineTag(trx, { key, kind: 'rule', rule, valueType, multiValued: false, description: 'test', owner: 'crm', scheduleSeconds }, 'test'));
  const gate = new ConsentGate();
  const compute = (key: string) => computeRuleTag(inBrand, gate, key, 'test', { asOf: AS_OF });
  const values = async (key: string) => {
    const rows = await inBrand((trx) => trx.selectFrom('tag_values').select(['person_id', 'value']).where('tag_key', '=', key).orderBy('person_id').execute());
    return Object.fromEntries(rows.map((row) => [row.person_id, row.value]));
  };
  const matches = async (key: string, rule: unknown) => {
    await define(key, rule);
    await compute(key);
    return Object.keys(await values(key)).map(Number);
  };

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    other = (await ensureTenant(t.db, 'other')).id;
    // Not a test of consent: an opt-out regime lets silence allow profiling (profiling-gate.test.ts covers PIPL).
    for (const tenant of [brand, other]) await setFirstPartyRegime(t.db, tenant, 'ccpa', 'test');
    [a, b, c, d, e, f] = (await addPersons(t.db, brand, 6)) as [number, number, number, number, number, number];
    [stranger] = (await addPersons(t.db, other, 1)) as [number];
    await addOrders(t.db, brand, a, [{ daysAgo: 10, category: 'outdoor', amount: '100.00' }, { daysAgo: 40, category: 'outdoor', amount: '200.00' }, { daysAgo: 100, category: 'shoes', amount: '50.00' }]);
    await addOrders(t.db, brand, b, [{ daysAgo: 5, category: 'outdoor', amount: '300.00', channel: 'wechat' }, { daysAgo: 6, category: 'shoes', amount: '20.00' }]);
    await addOrders(t.db, brand, c, [{ daysAgo: 20, category: 'outdoor', amount: '80.00' }, { daysAgo: 200, category: 'outdoor', amount: '80.00' }, { daysAgo: 3, category: 'outdoor', amount: '999.00', status: 'refunded' }]);
    // Exactly 90 days ago is inside a 90-day window.
    await addOrders(t.db, brand, d, [{ daysAgo: 90, category: 'outdoor', amount: '60.00' }, { daysAgo: 1, category: 'outdoor', amount: '40.00' }]);
    // e would match everything, but it was merged into a: only live persons get values.
    await addOrders(t.db, brand, e, [{ daysAgo: 1, category: 'outdoor' }, { daysAgo: 2, category: 'outdoor' }]);
    await mergePerson(t.db, brand, e, a);
    await addOrders(t.db, other, stranger, [{ daysAgo: 1, category: 'outdoor' }, { daysAgo: 2, category: 'outdoor' }]);
    await setAttributes(t.db, brand, a, { city: 'Shanghai', registration_channel: 'wechat' });
    await setAttributes(t.db, brand, b, { city: 'Beijing', registration_channel: 'tmall' });
    await setAttributes(t.db, brand, c, { city: 'Shanghai' });
    await setAttributes(t.db, brand, d, { member_level: 3 });
    await setAttributes(t.db, brand, f, { city: 'Shanghai', member_level: 1 });
    await setAttributes(t.db, other, stranger, { city: 'Shanghai', shoe_size: 42 });
    await addEvents(t.db, brand, a, [{ type: 'page_view', daysAgo: 1 }, { type: 'page_view', daysAgo: 2 }, { type: 'page_view', daysAgo: 7 }, { type: 'page_view', daysAgo: 8 }]);
    await addEvents(t.db, brand, b, [{ type: 'page_view', daysAgo: 1 }, { type: 'page_view', daysAgo: 1, channel: 'web' }, { type: 'page_view', daysAgo: 2, channel: 'web' }, { type: 'add_to_cart', daysAgo: 1 }]);
  });
  afterEach(async () => t.dispose());

  it('tags "bought outdoor gear twice in 90 days", in one run with a processing record, for live persons of this tenant only', async () => {
    await define('outdoor_twice_90d', outdoorTwice90d);
    const run = await compute('outdoor_twice_90d');
    expect(await values('outdoor_twice_90d')).toEqual({ [a]: true, [d]: true });
    expect(run.persons).toBe(2);
    const record = await inBrand((trx) => trx.selectFrom('processing_records').selectAll().where('id', '=', run.processingRecordId).executeTakeFirstOrThrow());
    expect(record).toMatchObject({ activity: RULE_TAG_ACTIVITY, subjects_out: 2, details: { tag: 'outdoor_twice_90d', asOf: AS_OF.toISOString() } });
    expect(await withTenant(t.db, other, (trx) => trx.selectFrom('tag_values').select('person_id').execute())).toEqual([]);

    // The next run replaces the values in full: b's second outdoor order makes b match.
    await addOrders(t.db, brand, b, [{ daysAgo: 2, category: 'outdoor' }]);
    await compute('outdoor_twice_90d');
    expect(await values('outdoor_twice_90d')).toEqual({ [a]: true, [b]: true, [d]: true });
  });

  it('computes a number: the sum of paid amounts in 90 days, for every live person (0 without orders)', async () => {
    await define('spend_90d', { number: { orders: { withinDays: 90 }, measure: 'amount' } }, 'number');
    await compute('spend_90d');
    // c's refunded 999 does not count; its 200-day-old order is outside the window.
    expect(await values('spend_90d')).toEqual({ [a]: 300, [b]: 320, [c]: 80, [d]: 100, [f]: 0 });

    await define('categories_ever', { number: { orders: { category: 'outdoor' }, measure: 'distinct_categories' }, where: { registrationChannel: ['wechat', 'tmall'] } }, 'number');
    await compute('categories_ever');
    expect(await values('categories_ever')).toEqual({ [a]: 1, [b]: 1 });
  });

  it('combines conditions with all, any and not', async () => {
    // Shanghai, and (registered through WeChat or no order in 90 days): a by channel, f by no orders; c has a recent order.
    const combo = { match: { all: [{ attribute: 'city', op: '=', value: 'Shanghai' }, { any: [{ registrationChannel: 'wechat' }, { not: { orders: { withinDays: 90 }, op: '>', value: 0 } }] }] } };
    expect(await matches('combo', combo)).toEqual([a, f]);
    expect(await matches('not_shanghai', { match: { not: { attribute: 'city', op: '=', value: 'Shanghai' } } })).toEqual([b, d]);
    expect(await matches('city_differs', { match: { attribute: 'city', op: '!=', value: 'Shanghai' } })).toEqual([b]);
    expect(await matches('in_cities', { match: { attribute: 'city', op: 'in', values: ['Beijing', 'Guangzhou'] } })).toEqual([b]);
    expect(await matches('level_2_to_5', { match: { attribute: 'member_level', op: 'between', min: 2, max: 5 } })).toEqual([d]);
    expect(await matches('level_below_2', { match: { attribute: 'member_level', op: '<', value: 2 } })).toEqual([f]);
    // Strings compare as text in byte order: "Shanghai" > "C" > "Beijing"; a number operand ignores text values.
    expect(await matches('city_after_c', { match: { attribute: 'city', op: '>', value: 'C' } })).toEqual([a, c, f]);
    expect(await matches('city_numeric', { match: { attribute: 'city', op: '>', value: 0 } })).toEqual([]);
    expect(await matches('has_level', { match: { attribute: 'member_level', op: 'exists' } })).toEqual([d, f]);
  });

  it('counts events by type, channel and window; finds first and repeat purchases and distinct categories', async () => {
    // a: page views at 1, 2 and 7 days on app (8 is outside); b: one app view, two web views.
    expect(await matches('viewer', { match: { events: { type: 'page_view', channel: 'app', withinDays: 7 }, op: '>=', value: 3 } })).toEqual([a]);
    expect(await matches('web_viewer', { match: { events: { type: ['page_view'], channel: 'web' }, op: 'between', min: 2, max: 2 } })).toEqual([b]);
    // First paid order within 30 days: only b (a's first is 100 days ago, d's exactly 90).
    expect(await matches('first_30d', { match: { purchase: 'first', withinDays: 30 } })).toEqual([b]);
    // A paid order in the last 7 days with an earlier one before it: b (5 after 6) and d (1 after 90).
    expect(await matches('repeat_7d', { match: { purchase: 'repeat', withinDays: 7 } })).toEqual([b, d]);
    expect(await matches('two_categories_120d', { match: { orders: { withinDays: 120 }, measure: 'distinct_categories', op: '>=', value: 2 } })).toEqual([a, b]);
    expect(await matches('wechat_channel_buyer', { match: { orders: { channel: 'wechat' }, op: '>=', value: 1 } })).toEqual([b]);
  });

  it("reads other tags' values", async () => {
    await define('outdoor_twice_90d', outdoorTwice90d);
    await compute('outdoor_twice_90d');
    const rule = { match: { all: [{ tag: 'outdoor_twice_90d', op: '=', value: true }, { attribute: 'city', op: 'in', values: ['Shanghai'] }] } };
    expect(await matches('shanghai_outdoor', rule)).toEqual([a]);
  });

  it('refuses rules with unknown fields, attributes or tags, bad windows, deep nesting or too many conditions, writing nothing', async () => {
    const refused = async (rule: unknown, valueType: 'boolean' | 'number' = 'boolean') => {
      const error = await refusal(define('bad', rule, valueType));
      expect(error.code).toBe('ACCORD_ERR_TAG_RULE_INVALID');
      return error;
    };
    // shoe_size exists only in the other tenant.
    expect((await refused({ match: { attribute: 'shoe_size', op: 'exists' } })).extensions).toMatchObject({ unknownAttributes: ['shoe_size'] });
    expect((await refused({ match: { tag: 'no_such_tag', op: 'exists' } })).extensions).toMatchObject({ unknownTags: ['no_such_tag'] });
    expect((await refused({ match: { tag: 'bad', op: 'exists' } })).message).toContain('its own values');
    expect((await refused({ match: { orders: { withinDays: 90, colour: 'red' }, op: '>=', value: 1 } })).message).toMatch(/colour/);
    expect((await refused({ match: { orders: { withinDays: 90 }, measure: 'median', op: '>=', value: 1 } })).message).toMatch(/not valid/);
    expect((await refused({ match: { person_age: 3 } })).message).toMatch(/not valid/);
    expect((await refused({ match: { orders: { withinDays: 0 }, op: '>=', value: 1 } })).message).toMatch(/at least 1 day/);
    expect((await refused({ match: { orders: { withinDays: -5 }, op: '>=', value: 1 } })).message).toMatch(/at least 1 day/);
    expect((await refused({ match: { events: { withinDays: 3651 }, op: '>=', value: 1 } })).message).toMatch(/10 years/);
    expect((await refused({ match: { purchase: 'first', withinDays: 1.5 } })).message).toMatch(/not valid/);
    const leaf = { attribute: 'city', op: 'exists' };
    let deep: unknown = leaf;
    for (let level = 0; level < 9; level += 1) deep = { not: deep };
    expect((await refused({ match: deep })).message).toMatch(/deeper than 8/);
    let eightDeep: unknown = leaf;
    for (let level = 0; level < 8; level += 1) eightDeep = { not: eightDeep };
    expect((await define('eight_deep', { match: eightDeep })).kind).toBe('rule');
    expect((await refused({ match: { any: Array.from({ length: 51 }, () => leaf) } })).message).toMatch(/more than 50 conditions/);
    expect((await refused({ match: leaf }, 'number')).message).toMatch(/valueType must be boolean/);
    expect((await refused({ number: { orders: {} } })).message).toMatch(/valueType must be number/);
    expect(await inBrand((trx) => trx.selectFrom('tag_definitions').select('key').where('key', '=', 'bad').execute())).toEqual([]);
    await expect(define('rfm_segment', { match: leaf })).rejects.toMatchObject({ code: 'ACCORD_ERR_CONFLICT', message: expect.stringContaining('reserved') });
  });

  it('refuses a run when a tag the rule reads is gone, keeping the old values and the reason', async () => {
    await define('outdoor_twice_90d', outdoorTwice90d);
    await define('reads_other', { match: { tag: 'outdoor_twice_90d', op: 'exists' } });
    await compute('outdoor_twice_90d');
    await compute('reads_other');
    await inBrand((trx) => trx.deleteFrom('tag_definitions').where('key', '=', 'outdoor_twice_90d').execute());
    expect((await refusal(compute('reads_other'))).code).toBe('ACCORD_ERR_TAG_RULE_INVALID');
    expect(await values('reads_other')).toEqual({ [a]: true, [d]: true });
    const tag = await inBrand((trx) => trx.selectFrom('tag_definitions').select('last_error').where('key', '=', 'reads_other').executeTakeFirstOrThrow());
    expect(tag.last_error).toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID', unknownTags: ['outdoor_twice_90d'] });
  });

  it('recomputes through the job queue and schedules the next run', async () => {
    await define('outdoor_twice_90d', { match: { orders: { category: 'outdoor' }, op: '>=', value: 2 } }, 'boolean', 3_600);
    const jobId = await inBrand((trx) => enqueueRuleTagRun(trx, 'outdoor_twice_90d'));
    const job = await t.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(await executeJob(t.db, jobProcessors(gate), job)).toEqual({ ok: true });
    expect(await values('outdoor_twice_90d')).toEqual({ [a]: true, [c]: true, [d]: true });
    const next = await t.db.selectFrom('jobs').selectAll().where('name', '=', COMPUTE_RULE_TAG_JOB).where('id', '!=', jobId).execute();
    expect(next).toHaveLength(1);
    expect(next[0]!.run_at.getTime() - Date.now()).toBeGreaterThan(3_000_000);
    expect(await executeJob(t.db, jobProcessors(gate), job)).toEqual({ ok: true });
    expect(await t.db.selectFrom('jobs').select('id').where('name', '=', COMPUTE_RULE_TAG_JOB).where('id', '!=', jobId).execute()).toHaveLength(1);
  });
});
