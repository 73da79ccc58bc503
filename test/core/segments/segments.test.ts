import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobProcessors } from '../../../api/job-processors.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { upsertIdentifiers } from '../../../core/identifiers/identifier-store.ts';
import { normaliseIdentifier } from '../../../core/identifiers/normalise-identifier.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import { executeJob } from '../../../core/jobs/job-store.ts';
import { defaultSegmentLimits, estimateSegmentRule, previewSegmentRule, segmentRuleMembers } from '../../../core/segments/evaluate-segment.ts';
import { enqueueSegmentRefresh, REFRESH_SEGMENT_JOB } from '../../../core/segments/refresh-segment-job.ts';
import { segmentMembersFor } from '../../../core/segments/segment-members-for.ts';
import { parseSegmentRule } from '../../../core/segments/segment-rule.ts';
import { segmentPortrait } from '../../../core/segments/segment-portrait.ts';
import { createSegment, findSegment, membershipChanges, refreshSegment, segmentMemberIds } from '../../../core/segments/segment-store.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';
import { addEvent, addOrder, addPersons, defineStaticTag, setAttribute, setTag } from './segment-fixtures.ts';

const NOW = new Date();
const thisMonth = String(NOW.getUTCMonth() + 1).padStart(2, '0');
const otherMonth = String(((NOW.getUTCMonth() + 6) % 12) + 1).padStart(2, '0');

describe.each(storageBackends)('segments on %s', (backend) => {
  let t: TestDatabase;
  let brand: string;
  let other: string;
  let p: number[];
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand, work);
  const gate = new ConsentGate();
  const members = (rule: unknown) => inBrand(async (trx) => (await segmentRuleMembers(trx, gate, parseSegmentRule(rule), { activity: 'test', actor: 'test' }, defaultSegmentLimits, NOW)).ids());

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = (await ensureTenant(t.db, 'brand')).id;
    other = (await ensureTenant(t.db, 'other')).id;
    // Not a test of consent: an opt-out regime lets silence allow profiling (profiling-gate.test.ts covers PIPL).
    for (const tenant of [brand, other]) await setFirstPartyRegime(t.db, tenant, 'ccpa', 'test');
    p = await addPersons(t.db, brand, 6);
    const [p1, p2, p3, p4] = p as [number, number, number, number];
    await setAttribute(t.db, brand, p1, 'city', '上海');
    await setAttribute(t.db, brand, p1, 'birthday', `1990-${thisMonth}-15`);
    await setAttribute(t.db, brand, p2, 'city', '上海');
    await setAttribute(t.db, brand, p2, 'birthday', `1985-${otherMonth}-01`);
    await setAttribute(t.db, brand, p3, 'city', '北京');
    await setAttribute(t.db, brand, p4, 'city', '上海');
    await setAttribute(t.db, brand, p4, 'member_level', 3);
    await defineStaticTag(t.db, brand, 'lifecycle_stage');
    await defineStaticTag(t.db, brand, 'interests', true);
    await defineStaticTag(t.db, brand, 'shoe_size');
    await setTag(t.db, brand, p1, 'lifecycle_stage', 'loyal');
    await setTag(t.db, brand, p2, 'lifecycle_stage', 'sleeping');
    await setTag(t.db, brand, p4, 'lifecycle_stage', 'new');
    await setTag(t.db, brand, p1, 'interests', ['outdoor', 'shoes']);
    await setTag(t.db, brand, p2, 'shoe_size', 42);
    await setTag(t.db, brand, p3, 'shoe_size', 38);
    await addOrder(t.db, brand, p1, 3, 'outdoor');
    await addOrder(t.db, brand, p1, 10, 'outdoor');
    await addOrder(t.db, brand, p2, 200, 'shoes');
    await addOrder(t.db, brand, p4, 5, 'shoes');
    for (let i = 0; i < 3; i++) await addEvent(t.db, brand, p3, 'page.view', 2);
    await addEvent(t.db, brand, p5(), 'page.view', 40);
  });
  afterEach(() => t.dispose());
  const p5 = () => p[4]!;

  it('evaluates nested rules to exactly the persons they describe', async () => {
    const [p1, p2, p3, p4, p5, p6] = p as [number, number, number, number, number, number];
    expect(
      await members({ all: [{ attribute: 'city', op: '=', value: '上海' }, { any: [{ tag: 'lifecycle_stage', op: 'in', values: ['loyal', 'sleeping'] }, { orders: 'count', withinDays: 30, op: '>=', value: 1 }] }] }),
    ).toEqual([p1, p2, p4]);
    expect(await members({ all: [{ attribute: 'city', op: '=', value: '上海' }, { not: { tag: 'lifecycle_stage', op: '=', value: 'new' } }] })).toEqual([p1, p2]);
    expect(await members({ not: { attribute: 'city', op: 'exists' } })).toEqual([p5, p6]);
    expect(await members({ attribute: 'city', op: '!=', value: '上海' })).toEqual([p3]);
    expect(await members({ attribute: 'birthday', part: 'month', op: '=', value: 'now' })).toEqual([p1]);
    expect(await members({ attribute: 'birthday', op: 'between', from: '1980-01-01', to: '1989-12-31' })).toEqual([p2]);
    expect(await members({ attribute: 'member_level', op: '>', value: 2 })).toEqual([p4]);
    expect(await members({ tag: 'interests', op: '=', value: 'shoes' })).toEqual([p1]);
    expect(await members({ tag: 'shoe_size', op: 'between', from: 40, to: 44 })).toEqual([p2]);
    expect(await members({ tag: 'lifecycle_stage', op: 'has' })).toEqual([p1, p2, p4]);
    expect(await members({ orders: 'sum', category: 'outdoor', op: '>', value: 300 })).toEqual([p1]);
    expect(await members({ orders: 'count', op: '=', value: 0 })).toEqual([p3, p5, p6]);
    expect(await members({ orders: 'count', withinDays: 30, op: '<', value: 1 })).toEqual([p2, p3, p5, p6]);
    expect(await members({ events: 'page.view', withinDays: 7, op: '>=', value: 3 })).toEqual([p3]);
    expect(await members({ any: [{ events: 'page.view', op: 'between', from: 1, to: 2 }, { orders: 'count', channel: 'jd', op: '>', value: 0 }] })).toEqual([p5]);
    // Values are bound, never spliced into the SQL.
    expect(await members({ attribute: 'city', op: 'in', values: ["上海') or true --", "x'; drop table persons; --"] })).toEqual([]);
    expect(await members({ attribute: 'city', op: 'exists' })).toEqual([p1, p2, p3, p4]);
  });

  it('refuses malformed, too deep and too large rules', async () => {
    await expect(members({ attribute: 'City; drop table persons', op: '=', value: 'x' })).rejects.toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE' });
    await expect(inBrand((trx) => createSegment(trx, gate, { name: 'x', kind: 'dynamic', rule: { attribute: 'city', op: 'like', value: '%' } }, 'test'))).rejects.toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE' });
    let deep: unknown = { attribute: 'city', op: 'exists' };
    for (let i = 0; i < 8; i++) deep = { not: deep };
    await expect(inBrand((trx) => createSegment(trx, gate, { name: 'x', kind: 'dynamic', rule: deep }, 'test'))).rejects.toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE', message: expect.stringContaining('9 levels') });
    const wide = { any: Array.from({ length: 26 }, () => ({ all: [{ attribute: 'city', op: 'exists' }, { tag: 'shoe_size', op: 'has' }] })) };
    await expect(inBrand((trx) => createSegment(trx, gate, { name: 'x', kind: 'dynamic', rule: wide }, 'test'))).rejects.toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE', message: expect.stringContaining('52 conditions') });
  });

  it('refuses runaway and explosive rules, and writes nothing', async () => {
    const rule = { attribute: 'city', op: 'exists' };
    await expect(inBrand((trx) => createSegment(trx, gate, { name: 'x', kind: 'dynamic', rule }, 'test', { limits: { ...defaultSegmentLimits, maxCost: 1 } }))).rejects.toMatchObject({
      code: 'ACCORD_ERR_SEGMENT_TOO_COSTLY',
    });
    await expect(inBrand((trx) => createSegment(trx, gate, { name: 'x', kind: 'static', rule }, 'test', { limits: { ...defaultSegmentLimits, maxMembers: 3 } }))).rejects.toMatchObject({
      code: 'ACCORD_ERR_SEGMENT_TOO_LARGE',
    });
    expect(await inBrand((trx) => trx.selectFrom('segments').select('id').execute())).toEqual([]);
    expect(await inBrand((trx) => estimateSegmentRule(trx, gate, rule as never, 'test', { ...defaultSegmentLimits, maxMembers: 3 }))).toBe(4);
  });

  it('estimates what creating stores, and previews at most 20 persons with only the attributes asked for', async () => {
    const rule = { attribute: 'city', op: '=', value: '上海' };
    const estimate = await inBrand((trx) => estimateSegmentRule(trx, gate, rule as never, 'test'));
    expect(await inBrand((trx) => trx.selectFrom('segments').select('id').execute())).toEqual([]);
    const { refresh } = await inBrand((trx) => createSegment(trx, gate, { name: 'shanghai', kind: 'static', rule }, 'test'));
    expect(refresh.memberCount).toBe(estimate);
    expect(estimate).toBe(3);
    const preview = await inBrand((trx) => previewSegmentRule(trx, gate, rule as never, { attributes: ['birthday'], limit: 500, actor: 'test' }));
    expect(preview).toEqual([
      { personId: p[0], attributes: { birthday: `1990-${thisMonth}-15` } },
      { personId: p[1], attributes: { birthday: `1985-${otherMonth}-01` } },
      { personId: p[3], attributes: {} },
    ]);
  });

  it('refreshes a dynamic segment, recording adds and removes per refresh; a static one stays a snapshot', async () => {
    const rule = { attribute: 'city', op: '=', value: '上海' };
    const dynamic = await inBrand((trx) => createSegment(trx, gate, { name: 'sh', kind: 'dynamic', rule }, 'test'));
    const snapshot = await inBrand((trx) => createSegment(trx, gate, { name: 'sh-then', kind: 'static', rule }, 'test'));
    expect(await inBrand((trx) => membershipChanges(trx, dynamic.refresh.refreshId))).toEqual({ added: [p[0], p[1], p[3]], removed: [] });
    await setAttribute(t.db, brand, p[2]!, 'city', '上海');
    await setAttribute(t.db, brand, p[1]!, 'city', '杭州');
    const refresh = await inBrand((trx) => refreshSegment(trx, gate, dynamic.segment.id, 'test'));
    expect(refresh).toMatchObject({ added: 1, removed: 1, memberCount: 3 });
    expect(await inBrand((trx) => membershipChanges(trx, refresh.refreshId))).toEqual({ added: [p[2]], removed: [p[1]] });
    expect(await inBrand((trx) => segmentMemberIds(trx, dynamic.segment.id))).toEqual([p[0], p[2], p[3]]);
    expect(await inBrand((trx) => segmentMemberIds(trx, snapshot.segment.id))).toEqual([p[0], p[1], p[3]]);
    await expect(inBrand((trx) => refreshSegment(trx, gate, snapshot.segment.id, 'test'))).rejects.toMatchObject({ code: 'ACCORD_ERR_SEGMENT_KIND' });
  });

  it('refreshes through the job queue and schedules the next run', async () => {
    const { segment } = await inBrand((trx) => createSegment(trx, gate, { name: 'sh', kind: 'dynamic', rule: { attribute: 'city', op: '=', value: '北京' }, scheduleSeconds: 3_600 }, 'test'));
    await setAttribute(t.db, brand, p[0]!, 'city', '北京');
    const jobId = await inBrand((trx) => enqueueSegmentRefresh(trx, segment.id));
    const job = await t.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(await executeJob(t.db, jobProcessors(gate), job)).toEqual({ ok: true });
    expect(await inBrand((trx) => segmentMemberIds(trx, segment.id))).toEqual([p[0], p[2]]);
    const next = await t.db.selectFrom('jobs').selectAll().where('name', '=', REFRESH_SEGMENT_JOB).where('id', '!=', jobId).execute();
    expect(next).toHaveLength(1);
    expect(next[0]!.run_at.getTime() - Date.now()).toBeGreaterThan(3_000_000);
  });

  it('matches an imported list to persons and reports matched and unmatched entries', async () => {
    const keys = new IdentifierKeys(new Uint8Array(32).fill(7));
    const email = normaliseIdentifier({ type: 'email', value: 'Li.Lei@Example.com' }) as Identifier;
    const phone = normaliseIdentifier({ type: 'phone', value: '13800138000' }) as Identifier;
    await inBrand(async (trx) => {
      const [emailId, phoneId] = await upsertIdentifiers(trx, keys, [email, phone]);
      await trx.insertInto('identity_links').values([
        { tenant_id: brand, identifier_id: emailId!, identifier_type: 'email', person_id: p[0]! },
        { tenant_id: brand, identifier_id: phoneId!, identifier_type: 'phone', person_id: p[1]! },
      ]).execute();
    });
    const { segment, refresh } = await inBrand((trx) =>
      createSegment(
        trx,
        gate,
        { name: 'crm list', kind: 'imported', identifiers: [{ type: 'email', value: 'li.lei@example.com' }, { type: 'phone', value: '+86 138 0013 8000' }, { type: 'email', value: 'nobody@example.com' }, { type: 'email', value: 'not an email' }] },
        'test',
        { identifierKeys: keys },
      ),
    );
    expect(refresh.memberCount).toBe(2);
    expect(segment.importReport).toMatchObject({ identifiers: 4, matched: 2, unmatched: 2 });
    expect(Object.values(segment.importReport!.invalid)).toEqual([1]);
    expect(await inBrand((trx) => segmentMemberIds(trx, segment.id))).toEqual([p[0], p[1]]);
  });

  it('gives members for a purpose only through the consent gate: a withdrawn person is not among them', async () => {
    const noticeId = await inBrand(async (trx) => {
      await definePurpose(trx, { key: 'audience.lookalike', name: 'Lookalike', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['audience.lookalike'], recipients: ['media-x'], dataCategories: [] })).id;
    });
    let n = 0;
    const record = (person: number, kind: 'given' | 'withdrawn') =>
      inBrand((trx) =>
        recordConsentEvent(trx, { clientEventId: `e${++n}`, subject: `person:${person}`, purpose: 'audience.lookalike', recipient: 'media-x', regime: 'pipl', kind, ...(kind === 'given' ? { noticeId } : {}), channel: 'app', source: 'test', collectedAt: new Date(Date.now() + 1_000 + n) }),
      );
    await record(p[0]!, 'given');
    await record(p[1]!, 'given');
    await record(p[1]!, 'withdrawn');
    const { segment } = await inBrand((trx) => createSegment(trx, gate, { name: 'sh', kind: 'dynamic', rule: { attribute: 'city', op: '=', value: '上海' } }, 'test'));
    const allowed = await inBrand((trx) => segmentMembersFor(trx, gate, segment.id, { purpose: 'audience.lookalike', recipient: 'media-x', regime: 'pipl', activity: 'segment.activate', actor: 'test', at: new Date(Date.now() + 10_000) }));
    expect(allowed.ids()).toEqual([p[0]]);
    expect(allowed).toMatchObject({ candidates: 3, size: 1, denied: { noConsent: 1, refused: 1, expired: 0 } });
    const records = await inBrand((trx) => trx.selectFrom('processing_records').select(['activity', 'subjects_in', 'subjects_out']).where('activity', '=', 'segment.activate').execute());
    expect(records).toEqual([{ activity: 'segment.activate', subjects_in: 3, subjects_out: 1 }]);
  });

  it('keeps tenants apart', async () => {
    const { segment } = await inBrand((trx) => createSegment(trx, gate, { name: 'all', kind: 'dynamic', rule: { attribute: 'city', op: 'exists' } }, 'test'));
    const theirs = await withTenant(t.db, other, (trx) => createSegment(trx, gate, { name: 'all', kind: 'dynamic', rule: { attribute: 'city', op: 'exists' } }, 'test'));
    expect(theirs.refresh.memberCount).toBe(0);
    expect(await withTenant(t.db, other, (trx) => findSegment(trx, segment.id))).toBeUndefined();
    await expect(withTenant(t.db, other, (trx) => refreshSegment(trx, gate, segment.id, 'test'))).rejects.toMatchObject({ code: 'ACCORD_ERR_NOT_FOUND' });
    await expect(withTenant(t.db, other, (trx) => segmentPortrait(trx, gate, segment.id, [{ attribute: 'city' }], 'test'))).rejects.toMatchObject({ code: 'ACCORD_ERR_NOT_FOUND' });
  });

  it('never lets a portrait cell describe fewer than k people, and gives none for a segment under k', async () => {
    const cities = [...Array(12).fill('上海'), ...Array(10).fill('北京'), ...Array(3).fill('广州'), '深圳'];
    const crowd = await addPersons(t.db, brand, cities.length + 4);
    for (const [i, city] of cities.entries()) await setAttribute(t.db, brand, crowd[i]!, 'city', city);
    for (const [i, id] of crowd.entries()) {
      await setAttribute(t.db, brand, id, 'birthday', i % 2 === 0 ? '1995-01-01' : '1970-06-30');
      await setAttribute(t.db, brand, id, 'crowd', true);
    }
    for (const id of crowd.slice(0, 11)) await addOrder(t.db, brand, id, 1, 'shoes', '10.00', 'douyin');
    const { segment } = await inBrand((trx) => createSegment(trx, gate, { name: 'crowd', kind: 'static', rule: { attribute: 'crowd', op: '=', value: true } }, 'test'));
    const portrait = await inBrand((trx) => segmentPortrait(trx, gate, segment.id, [{ attribute: 'city' }, { builtIn: 'age_band' }, { builtIn: 'order_channel' }, { tag: 'shoe_size' }], 'test', 10));
    expect(portrait).toMatchObject({ members: 30, suppressed: false });
    for (const { cells } of portrait.distributions) {
      for (const cell of cells) expect(cell.count).toBeGreaterThanOrEqual(10);
      expect(cells.reduce((sum, c) => sum + c.count, 0)).toBe(30);
    }
    expect(portrait.distributions[0]!.cells).toEqual([
      { value: '上海', count: 12 },
      { value: '(other)', count: 18 },
    ]);
    expect(portrait.distributions[1]!.cells).toEqual([
      { value: '25-34', count: 15 },
      { value: '55-64', count: 15 },
    ]);
    expect(portrait.distributions[2]!.cells).toEqual([
      { value: '(none)', count: 19 },
      { value: 'douyin', count: 11 },
    ]);
    expect(portrait.distributions[3]!.cells).toEqual([{ value: '(none)', count: 30 }]);
    const small = await inBrand((trx) => createSegment(trx, gate, { name: 'sh', kind: 'static', rule: { attribute: 'city', op: '=', value: '深圳' } }, 'test'));
    expect(await inBrand((trx) => segmentPortrait(trx, gate, small.segment.id, [{ attribute: 'city' }], 'test'))).toEqual({ segmentId: small.segment.id, members: 1, k: 10, suppressed: true, distributions: [] });
  });
});
