import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { PROFILING_PURPOSE } from '../../../core/consent/profiling-purpose.ts';
import { recordConsentEvents } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { consentSubjectOf } from '../../../core/one-id/person-subject.ts';
import { estimateSegmentRule, previewSegmentRule } from '../../../core/segments/evaluate-segment.ts';
import { parseSegmentRule } from '../../../core/segments/segment-rule.ts';
import { segmentPortrait } from '../../../core/segments/segment-portrait.ts';
import { createSegment, refreshSegment, segmentMemberIds } from '../../../core/segments/segment-store.ts';
import { computeBuiltinTags } from '../../../core/tags/builtins/compute-builtin-tags.ts';
import { computeRuleTag } from '../../../core/tags/compute-rule-tag.ts';
import { computeSqlTag } from '../../../core/tags/compute-sql-tag.ts';
import { defineTag } from '../../../core/tags/tag-definitions.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { addPersons, setAttribute } from '../segments/segment-fixtures.ts';
import { addOrders, AS_OF } from '../tags/profile-fixtures.ts';

/**
 * First-party processing under PIPL (a tenant's default): tags, segments, estimates, previews and
 * portraits see only persons who consented to analytics.profiling, and a person who withdraws
 * drops out of each at its next run.
 */
describe.each(storageBackends)('profiling through the gate on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let granted: number, withdrawn: number, refused: number, silent: number;
  let noticeId: string;
  const gate = new ConsentGate();
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  let n = 0;
  const record = (person: number, kind: 'given' | 'withdrawn' | 'refused') =>
    inBrand((trx) =>
      recordConsentEvents(trx, [
        { clientEventId: `e${++n}`, subject: consentSubjectOf(person), purpose: PROFILING_PURPOSE, regime: 'pipl', kind, ...(kind === 'given' ? { noticeId } : {}), channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000 + n) },
      ]),
    );
  const valuesOf = async (key: string) => (await inBrand((trx) => trx.selectFrom('tag_values').select('person_id').where('tag_key', '=', key).orderBy('person_id').execute())).map((row) => Number(row.person_id));
  const everyone = { attribute: 'city', op: '=', value: '上海' };

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    [granted, withdrawn, refused, silent] = (await addPersons(t.db, brand, 4)) as [number, number, number, number];
    for (const person of [granted, withdrawn, refused, silent]) {
      await setAttribute(t.db, brand, person, 'city', '上海');
      await addOrders(t.db, brand, person, [{ daysAgo: 3, category: 'outdoor' }, { daysAgo: 9, category: 'outdoor' }]);
    }
    noticeId = (await inBrand((trx) => publishNotice(trx, { noticeKey: 'member', language: 'zh-CN', content: '会员分析', purposes: [PROFILING_PURPOSE], recipients: [], dataCategories: ['orders'] }))).id;
    await record(granted, 'given');
    await record(withdrawn, 'given');
    await record(withdrawn, 'withdrawn');
    await record(refused, 'refused');
    await inBrand(async (trx) => {
      await defineTag(trx, { key: 'outdoor_fan', kind: 'rule', rule: { match: { orders: { category: 'outdoor' }, op: '>=', value: 2 } }, valueType: 'boolean', multiValued: false, description: 'x', owner: 'crm', scheduleSeconds: null }, 'test');
      await defineTag(trx, { key: 'buyer', kind: 'sql', query: 'select distinct person_id, true as value from orders_v', valueType: 'boolean', multiValued: false, description: 'x', owner: 'crm', scheduleSeconds: null }, 'test');
    });
  });
  afterEach(() => t.dispose());

  it('computes rule, SQL and built-in tags only for consented persons, and removes a value at the next run after a withdrawal', async () => {
    const rule = await computeRuleTag(inBrand, gate, 'outdoor_fan', 'test', { asOf: AS_OF });
    const query = await computeSqlTag(inBrand, gate, 'buyer', 'test');
    const builtins = await inBrand((trx) => computeBuiltinTags(trx, gate, { actor: 'test', asOf: AS_OF }));
    expect([rule.persons, query.persons, builtins.persons.lifecycle]).toEqual([1, 1, 1]);
    for (const key of ['outdoor_fan', 'buyer', 'lifecycle_stage', 'rfm_segment']) expect(await valuesOf(key), key).toEqual([granted]);

    const gated = await inBrand((trx) => trx.selectFrom('processing_records').select(['activity', 'purpose', 'subjects_in', 'subjects_out']).where(sql<boolean>`details ? 'gate'`).orderBy('activity').execute());
    expect(gated).toEqual([
      { activity: 'tags.compute-builtins', purpose: PROFILING_PURPOSE, subjects_in: 4, subjects_out: 1 },
      { activity: 'tags.compute-rule', purpose: PROFILING_PURPOSE, subjects_in: 4, subjects_out: 1 },
      { activity: 'tags.compute-sql', purpose: PROFILING_PURPOSE, subjects_in: 4, subjects_out: 1 },
    ]);

    await record(granted, 'withdrawn');
    await computeRuleTag(inBrand, gate, 'outdoor_fan', 'test', { asOf: AS_OF });
    await computeSqlTag(inBrand, gate, 'buyer', 'test');
    await inBrand((trx) => computeBuiltinTags(trx, gate, { actor: 'test', asOf: AS_OF }));
    expect(await inBrand((trx) => trx.selectFrom('tag_values').select('person_id').execute())).toEqual([]);
  });

  it('counts, shows, stores and portrays only consented persons, and a refresh drops one who withdrew', async () => {
    const rule = parseSegmentRule(everyone);
    expect(await inBrand((trx) => estimateSegmentRule(trx, gate, rule, 'test'))).toBe(1);
    expect(await inBrand((trx) => previewSegmentRule(trx, gate, rule, { attributes: [], actor: 'test' }))).toEqual([{ personId: granted, attributes: {} }]);
    const dynamic = await inBrand((trx) => createSegment(trx, gate, { name: 'sh', kind: 'dynamic', rule: everyone }, 'test'));
    const snapshot = await inBrand((trx) => createSegment(trx, gate, { name: 'sh-then', kind: 'static', rule: everyone }, 'test'));
    expect(await inBrand((trx) => segmentMemberIds(trx, dynamic.segment.id))).toEqual([granted]);
    expect(await inBrand((trx) => segmentPortrait(trx, gate, snapshot.segment.id, [{ attribute: 'city' }], 'test', 10))).toMatchObject({ members: 1, suppressed: true });

    await record(granted, 'withdrawn');
    expect(await inBrand((trx) => refreshSegment(trx, gate, dynamic.segment.id, 'test'))).toMatchObject({ removed: 1, memberCount: 0 });
    // A static segment keeps its snapshot, but a portrait of it counts no one who withdrew.
    expect(await inBrand((trx) => segmentMemberIds(trx, snapshot.segment.id))).toEqual([granted]);
    expect(await inBrand((trx) => segmentPortrait(trx, gate, snapshot.segment.id, [{ attribute: 'city' }], 'test', 10))).toMatchObject({ members: 0, suppressed: true });
    const activities = await inBrand((trx) => trx.selectFrom('processing_records').select('activity').where('purpose', '=', PROFILING_PURPOSE).execute());
    expect(new Set(activities.map((a) => a.activity))).toEqual(new Set(['segments.estimate', 'segments.preview', 'segments.create', 'segments.portrait', 'segments.refresh']));
  });
});
