import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { BUILTIN_TAGS_ACTIVITY, computeBuiltinTags, type BuiltinTagOptions } from '../../../core/tags/builtins/compute-builtin-tags.ts';
import { rfmSegmentOf, rfmSegments } from '../../../core/tags/builtins/rfm-segments.ts';
import { computeRuleTag } from '../../../core/tags/compute-rule-tag.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { addPersons } from './tag-fixtures.ts';
import { addOrders, AS_OF, mergePerson } from './profile-fixtures.ts';

describe('the RFM segment map', () => {
  it('puts each of the 25 R×F cells in exactly one of 11 segments', () => {
    for (let r = 1; r <= 5; r += 1) {
      for (let f = 1; f <= 5; f += 1) {
        const holders = rfmSegments.filter((s) => r >= s.r[0] && r <= s.r[1] && f >= s.f[0] && f <= s.f[1]);
        expect(holders, `cell R${r} F${f}`).toHaveLength(1);
      }
    }
    expect(new Set(rfmSegments.map((s) => s.name)).size).toBe(11);
    expect([rfmSegmentOf(5, 5), rfmSegmentOf(4, 4), rfmSegmentOf(1, 3), rfmSegmentOf(2, 5), rfmSegmentOf(2, 1), rfmSegmentOf(5, 1)]).toEqual(['champions', 'loyal', 'at_risk', 'cant_lose_them', 'hibernating', 'new_customers']);
  });
});

describe.each(storageBackends)('built-in tags on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let other: string;
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  const gate = new ConsentGate();
  const run = (options: BuiltinTagOptions = {}) => inBrand((trx) => computeBuiltinTags(trx, gate, { ...options, actor: 'test', asOf: AS_OF }));
  const valuesOf = async (tenantId: string, key: string) => {
    const rows = await withTenant(t.db, tenantId, (trx) => trx.selectFrom('tag_values').select(['person_id', 'value']).where('tag_key', '=', key).orderBy('person_id').execute());
    return Object.fromEntries(rows.map((row) => [row.person_id, row.value]));
  };

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    other = (await ensureTenant(t.db, 'other')).id;
    // Not a test of consent: an opt-out regime lets silence allow profiling (profiling-gate.test.ts covers PIPL).
    for (const tenant of [brand, other]) await setFirstPartyRegime(t.db, tenant, 'ccpa', 'test');
  });
  afterEach(async () => t.dispose());

  it('scores RFM in quintiles and names the segments for a known population, ignoring merged persons and other tenants', async () => {
    const [p1, p2, p3, p4, p5, never, merged] = (await addPersons(t.db, brand, 7)) as [number, number, number, number, number, number, number];
    const paid = (days: number[], amount: string) => days.map((daysAgo) => ({ daysAgo, amount }));
    await addOrders(t.db, brand, p1, paid([2, 10, 20, 30, 40], '100.00'));
    await addOrders(t.db, brand, p2, paid([5, 50, 100, 150], '50.00'));
    await addOrders(t.db, brand, p3, paid([30, 200, 300], '300.00'));
    await addOrders(t.db, brand, p4, [...paid([120, 130], '10.00'), { daysAgo: 1, amount: '5000.00', status: 'refunded' }]);
    // p5's second order is outside the 365-day window.
    await addOrders(t.db, brand, p5, paid([300, 400], '1000.00'));
    await addOrders(t.db, brand, merged, paid([1, 1, 1, 1, 1, 1], '9999.00'));
    await mergePerson(t.db, brand, merged, p1);
    const [stranger] = (await addPersons(t.db, other, 1)) as [number];
    await addOrders(t.db, other, stranger, paid([1, 1, 1, 1, 1, 1, 1], '5000.00'));

    const result = await run();
    expect(result.persons).toEqual({ rfm: 5, lifecycle: 6, clv: 5 });
    expect(await valuesOf(brand, 'rfm_recency_days')).toEqual({ [p1]: 2, [p2]: 5, [p3]: 30, [p4]: 120, [p5]: 300 });
    expect(await valuesOf(brand, 'rfm_frequency')).toEqual({ [p1]: 5, [p2]: 4, [p3]: 3, [p4]: 2, [p5]: 1 });
    expect(await valuesOf(brand, 'rfm_monetary')).toEqual({ [p1]: 500, [p2]: 200, [p3]: 900, [p4]: 20, [p5]: 1000 });
    expect(await valuesOf(brand, 'rfm_r_score')).toEqual({ [p1]: 5, [p2]: 4, [p3]: 3, [p4]: 2, [p5]: 1 });
    expect(await valuesOf(brand, 'rfm_f_score')).toEqual({ [p1]: 5, [p2]: 4, [p3]: 3, [p4]: 2, [p5]: 1 });
    expect(await valuesOf(brand, 'rfm_m_score')).toEqual({ [p1]: 3, [p2]: 2, [p3]: 4, [p4]: 1, [p5]: 5 });
    expect(await valuesOf(brand, 'rfm_segment')).toEqual({ [p1]: 'champions', [p2]: 'loyal', [p3]: 'need_attention', [p4]: 'hibernating', [p5]: 'lost' });
    // CLV heuristic with the defaults (365-day window, 3 years): AOV × orders per year × 3 = 3 × spend in the year.
    expect(await valuesOf(brand, 'clv_estimate')).toEqual({ [p1]: 1500, [p2]: 600, [p3]: 2700, [p4]: 60, [p5]: 3000 });
    expect((await valuesOf(brand, 'lifecycle_stage'))[never]).toBe('registered_no_purchase');
    expect(await withTenant(t.db, other, (trx) => trx.selectFrom('tag_values').select('person_id').execute())).toEqual([]);

    const record = await inBrand((trx) => trx.selectFrom('processing_records').selectAll().where('id', '=', result.processingRecordId).executeTakeFirstOrThrow());
    expect(record).toMatchObject({ activity: BUILTIN_TAGS_ACTIVITY, subjects_out: 6 });
    const definitions = await inBrand((trx) => trx.selectFrom('tag_definitions').select(['key', 'kind', 'value_type']).where('key', 'like', 'rfm_%').orderBy('key').execute());
    expect(definitions).toHaveLength(7);
    expect(definitions.find((d) => d.key === 'rfm_segment')).toMatchObject({ kind: 'rule', value_type: 'text' });

    // A wider window and a shorter lifetime: p5's 400-day order now counts. CLV = spend × 365/730 × 2 = spend.
    await run({ rfm: { windowDays: 730 }, clv: { windowDays: 730, lifetimeYears: 2 } });
    expect((await valuesOf(brand, 'rfm_frequency'))[p5]).toBe(2);
    expect((await valuesOf(brand, 'clv_estimate'))[p5]).toBe(2000);
    // Built-in tags are computed together, not as rule tags.
    await expect(computeRuleTag(inBrand, gate, 'rfm_segment', 'test')).rejects.toMatchObject({ code: 'ACCORD_ERR_TAG_KIND' });
  });

  it('places lifecycle stages exactly at the thresholds', async () => {
    const ids = (await addPersons(t.db, brand, 12)) as number[];
    const [none, new30, active31, sleeping90, active89, churned180, sleeping179, loyal, newTwice, refundedOnly, merged, custom] = ids as [number, number, number, number, number, number, number, number, number, number, number, number];
    await addOrders(t.db, brand, new30, [{ daysAgo: 30 }]);
    await addOrders(t.db, brand, active31, [{ daysAgo: 31 }]);
    await addOrders(t.db, brand, sleeping90, [{ daysAgo: 90 }]);
    await addOrders(t.db, brand, active89, [{ daysAgo: 89 }]);
    await addOrders(t.db, brand, churned180, [{ daysAgo: 180 }]);
    await addOrders(t.db, brand, sleeping179, [{ daysAgo: 179 }]);
    await addOrders(t.db, brand, loyal, [{ daysAgo: 10 }, { daysAgo: 20 }, { daysAgo: 365 }]);
    await addOrders(t.db, brand, newTwice, [{ daysAgo: 10 }, { daysAgo: 20 }]);
    await addOrders(t.db, brand, refundedOnly, [{ daysAgo: 5, status: 'refunded' }]);
    await addOrders(t.db, brand, merged, [{ daysAgo: 1 }]);
    await mergePerson(t.db, brand, merged, none);
    await addOrders(t.db, brand, custom, [{ daysAgo: 45 }, { daysAgo: 50 }]);

    await run();
    expect(await valuesOf(brand, 'lifecycle_stage')).toEqual({
      [none]: 'registered_no_purchase',
      [new30]: 'new',
      [active31]: 'active',
      [sleeping90]: 'sleeping',
      [active89]: 'active',
      [churned180]: 'churned',
      [sleeping179]: 'sleeping',
      [loyal]: 'loyal',
      [newTwice]: 'new',
      [refundedOnly]: 'registered_no_purchase',
      [custom]: 'active',
    });

    // Configured thresholds: loyal from 2 purchases in 60 days, sleeping from 40 days.
    await run({ lifecycle: { loyalMinPurchases: 2, loyalWindowDays: 60, sleepingDays: 46, churnedDays: 100 } });
    const stages = await valuesOf(brand, 'lifecycle_stage');
    expect([stages[custom], stages[newTwice], stages[loyal], stages[active89], stages[sleeping90]]).toEqual(['loyal', 'loyal', 'loyal', 'sleeping', 'sleeping']);
    expect(stages[churned180]).toBe('churned');
  });

  it('refuses invalid options and writes nothing', async () => {
    await expect(run({ lifecycle: { sleepingDays: 200, churnedDays: 100 } })).rejects.toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID', message: expect.stringContaining('sleepingDays must be less than churnedDays') });
    await expect(run({ rfm: { windowDays: 0 } })).rejects.toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID' });
    await expect(run({ clv: { windowDays: 3651 } })).rejects.toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID' });
    expect(await inBrand((trx) => trx.selectFrom('tag_definitions').select('key').execute())).toEqual([]);
  });
});
