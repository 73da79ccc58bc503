import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConsent } from '../../../core/consent/check-consent.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { Identifier } from '../../../core/one-id/identifier.ts';
import { identityEventsOf } from '../../../core/one-id/identity-events.ts';
import { defaultIdentityRules } from '../../../core/one-id/identity-rules.ts';
import { markNeverMerge } from '../../../core/one-id/mark-never-merge.ts';
import { consentSubjectOf } from '../../../core/one-id/person-subject.ts';
import { resolvePersons, type IdentityRecord, type ResolveOptions } from '../../../core/one-id/resolve-persons.ts';
import { splitPerson } from '../../../core/one-id/split-person.ts';
import { addTombstones } from '../../../core/privacy/suppression.ts';
import { subjectTombstone } from '../../../consent/suppression-hash.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { countingStatements } from '../../support/statement-counter.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const purpose = 'marketing.advertising';
const email = (id: number): Identifier => ({ id, type: 'email' });
const phone = (id: number): Identifier => ({ id, type: 'phone' });
const device = (id: number): Identifier => ({ id, type: 'device_id' });
const openid = (id: number, app: string): Identifier => ({ id, type: 'wechat_openid', scope: app });
const unionid = (id: number): Identifier => ({ id, type: 'wechat_unionid' });
const rec = (...identifiers: Identifier[]): IdentityRecord => ({ identifiers });

describe.each(storageBackends)('one-ID identity graph on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let n = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>, tenantId = tenant.id) => withTenant(t.db, tenantId, work);
  const resolve = (records: IdentityRecord[], options?: ResolveOptions) => inTenant((trx) => resolvePersons(trx, records, options));
  const personOf = async (identifier: Identifier) => (await resolve([rec(identifier)])).personIds[0];
  const eventCount = () => inTenant(async (trx) => Number((await trx.selectFrom('identity_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
  const personCount = (tenantId = tenant.id) =>
    inTenant(async (trx) => Number((await trx.selectFrom('persons').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n), tenantId);
  const consent = (personId: number, kind: 'given' | 'withdrawn') =>
    inTenant(async (trx) => {
      const noticeId = kind === 'given' ? (await trx.selectFrom('consent_notices').select('id').executeTakeFirstOrThrow()).id : undefined;
      await recordConsentEvent(trx, { clientEventId: `e${++n}`, subject: consentSubjectOf(personId), purpose, recipient: 'tencent-ads', regime: 'pipl', kind, ...(noticeId ? { noticeId } : {}), channel: 'app', source: 'test', collectedAt: new Date(Date.now() + n) });
    });
  const allowed = async (personId: number) =>
    (await inTenant((trx) => checkConsent(trx, { subject: consentSubjectOf(personId), purpose, recipient: 'tencent-ads', regime: 'pipl', at: new Date() }))).allowed;

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    await inTenant(async (trx) => {
      await definePurpose(trx, { key: purpose, name: 'Ads', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: [purpose], recipients: ['tencent-ads'], dataCategories: [] });
    });
  });
  afterEach(() => t.dispose());

  it('follows chains across calls and within one batch', async () => {
    const [ab] = (await resolve([rec(email(1), phone(2))])).personIds;
    expect((await resolve([rec(phone(2), device(3))])).personIds).toEqual([ab]);
    expect(await personOf(email(1))).toBe(ab);
    expect(await personOf(device(3))).toBe(ab);
    // D-E, F-G, then E-F in one batch: one person, created once, no merge of stored persons.
    const batch = await resolve([rec(email(4), device(5)), rec(email(6), device(7)), rec(device(5), email(6))]);
    expect(new Set(batch.personIds).size).toBe(1);
    expect(batch).toMatchObject({ created: 1, merged: 0 });
    expect(await personOf(device(7))).toBe(batch.personIds[0]);
    expect(await personCount()).toBe(2);
  });

  it('merges two existing persons into the older one, with an event and the most restrictive consent', async () => {
    const deviceOwner = (await personOf(device(10)))!;
    const emailOwner = (await personOf(email(11)))!;
    await consent(deviceOwner, 'given'); // the device opted in
    await consent(emailOwner, 'given');
    await consent(emailOwner, 'withdrawn'); // the email withdrew
    expect(await allowed(deviceOwner)).toBe(true);

    const merged = await resolve([rec(email(11), device(10), phone(12))]);
    expect(merged).toMatchObject({ personIds: [deviceOwner], merged: 1, created: 0 });
    expect(await personOf(email(11))).toBe(deviceOwner);
    expect(await allowed(deviceOwner)).toBe(false);
    const [event] = await inTenant((trx) => identityEventsOf(trx, emailOwner));
    expect(event).toMatchObject({ kind: 'merge', personId: deviceOwner, otherPersonId: emailOwner, identifierIds: [11], reason: 'record' });
    expect(event!.details).toEqual({ record: [{ id: 11, type: 'email' }, { id: 10, type: 'device_id' }, { id: 12, type: 'phone' }] });
    const absorbed = await inTenant((trx) => trx.selectFrom('persons').select(['merged_into', 'subject']).where('id', '=', emailOwner).executeTakeFirstOrThrow());
    expect(absorbed).toEqual({ merged_into: deviceOwner, subject: `person:${emailOwner}` });
  });

  it('stops merging through a family phone past its fan-out limit, and through a marked recycled number', async () => {
    const family = [1, 2, 3, 4, 5].map((i) => rec(phone(100), email(i)));
    const first = await resolve(family);
    const [p1, p2, p3, p4, p5] = first.personIds;
    expect([p2, p3]).toEqual([p1, p1]); // up to 3 distinct emails the phone still joins
    expect(new Set([p1, p4, p5]).size).toBe(3);
    expect(first.blocked).toBe(2);
    const events = await inTenant((trx) => trx.selectFrom('identity_events').select(['kind', 'reason', 'person_id', 'other_person_id']).orderBy('id').execute());
    expect(events).toEqual([
      { kind: 'marked', reason: 'fan_out', person_id: null, other_person_id: null },
      { kind: 'blocked', reason: 'fan_out', person_id: p4, other_person_id: p1 },
      { kind: 'blocked', reason: 'fan_out', person_id: p5, other_person_id: p1 },
    ]);
    // A sixth member alone with the phone joins nobody new; the phone alone stays with its first person.
    expect(await personOf(phone(100))).toBe(p1);

    const oldOwner = (await resolve([rec(phone(200), email(20))])).personIds[0];
    expect(await inTenant((trx) => markNeverMerge(trx, { identifierId: 200, note: 'carrier re-issued the number', actor: 'ops@brand' }))).toBe(true);
    const newOwner = await resolve([rec(phone(200), email(21))]);
    expect(newOwner.personIds[0]).not.toBe(oldOwner);
    expect(newOwner.blocked).toBe(1);
    expect(await personOf(email(20))).toBe(oldOwner);
  });

  it('applies the rule of its type to a declared hash', async () => {
    const hashed = (id: number, type: string): Identifier => ({ id, type: `${type}_sha256` });
    const family = await resolve([1, 2, 3, 4].map((i) => rec(hashed(300, 'phone'), hashed(310 + i, 'email'))));
    expect(new Set(family.personIds).size).toBe(2);
    expect(family.blocked).toBe(1);
    const apps = await resolve([rec(hashed(320, 'wechat_openid'), hashed(321, 'wechat_unionid')), rec(hashed(322, 'wechat_openid')), rec(hashed(320, 'wechat_openid'), hashed(322, 'wechat_openid'))]);
    expect(apps.personIds[2]).toBe(apps.personIds[0]);
    expect(apps.personIds[1]).not.toBe(apps.personIds[0]);
  });

  it('merges per-app openids only through their unionid', async () => {
    const [a] = (await resolve([rec(openid(30, 'mini-program'), unionid(40))])).personIds;
    const [b] = (await resolve([rec(openid(31, 'official-account'), unionid(41))])).personIds;
    // Another app's openid of the first person joins it through the unionid.
    expect((await resolve([rec(openid(32, 'official-account'), unionid(40))])).personIds).toEqual([a]);
    // Two apps' openids in one record, without a unionid, merge nothing.
    const crossApp = await resolve([rec(openid(30, 'mini-program'), openid(31, 'official-account'))]);
    expect(crossApp).toMatchObject({ personIds: [a], merged: 0, blocked: 1 });
    expect(await personOf(unionid(41))).toBe(b);
    const [blocked] = (await inTenant((trx) => identityEventsOf(trx, b!))).filter((event) => event.kind === 'blocked');
    expect(blocked).toMatchObject({ reason: 'merge_only_through', identifierIds: [31], personId: a, otherPersonId: b });
  });

  it('splits a merge back out, keeps consent restrictive on both sides and does not merge again', async () => {
    const phoneOwner = (await personOf(phone(50)))!;
    const emailOwner = (await personOf(email(51)))!;
    await consent(phoneOwner, 'given');
    await consent(emailOwner, 'given');
    await consent(emailOwner, 'withdrawn');
    await resolve([rec(phone(50), email(51))]);
    await resolve([rec(email(51), device(52))]); // arrives after the merge: stays with the survivor
    const [merge] = (await inTenant((trx) => identityEventsOf(trx, emailOwner))).filter((event) => event.kind === 'merge');

    const split = await inTenant((trx) => splitPerson(trx, { leaving: { mergeEventId: merge!.id }, actor: 'ops@brand', reason: 'shared family phone' }));
    expect(split).toMatchObject({ personId: phoneOwner, identifierIds: [51] });
    expect(await personOf(email(51))).toBe(split.newPersonId);
    expect(await personOf(device(52))).toBe(phoneOwner);
    expect(await allowed(phoneOwner)).toBe(false);
    expect(await allowed(split.newPersonId)).toBe(false);
    const events = await inTenant((trx) => identityEventsOf(trx, split.newPersonId));
    expect(events).toMatchObject([{ kind: 'split', personId: phoneOwner, otherPersonId: split.newPersonId, identifierIds: [51], actor: 'ops@brand', reason: 'shared family phone' }]);

    // The record that merged them is replayed: the split holds, as a blocked merge.
    const replay = await resolve([rec(phone(50), email(51))]);
    expect(replay).toMatchObject({ merged: 0, blocked: 1, personIds: [split.newPersonId] }); // the email is the stronger identifier
    expect(await personOf(email(51))).toBe(split.newPersonId);
    // A split that would leave nothing behind is refused, and changes nothing.
    await expect(inTenant((trx) => splitPerson(trx, { leaving: { identifierIds: [51] }, actor: 'ops', reason: 'x' }))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONFLICT' });
    await expect(inTenant((trx) => splitPerson(trx, { leaving: { mergeEventId: 999_999 }, actor: 'ops', reason: 'x' }))).rejects.toMatchObject({ code: 'ACCORD_ERR_NOT_FOUND' });
  });

  it('resolves the same records again to the same persons without new events', async () => {
    const records = [rec(email(60), phone(61)), rec(phone(61), device(62)), rec(openid(63, 'app'), email(64)), ...[1, 2, 3, 4].map((i) => rec(phone(65), email(70 + i)))];
    await resolve([rec(email(60)), rec(device(62))]);
    const first = await resolve(records);
    expect(first.merged).toBe(1);
    const events = await eventCount();
    const again = await resolve(records);
    expect(again).toEqual({ ...first, created: 0, merged: 0, blocked: 0 });
    expect(await eventCount()).toBe(events);
  });

  it('resolves 10,000 records with a bounded number of statements', async () => {
    // 200 stored persons, joined pairwise by the batch (100 merges of stored persons).
    await resolve(Array.from({ length: 200 }, (_, i) => rec(email(1_000_000 + i))));
    const records = Array.from({ length: 10_000 }, (_, i) => rec(email(i + 1), phone(20_000 + i), device(40_000 + Math.floor(i / 2))));
    for (let i = 0; i < 100; i++) records.push(rec(email(1_000_000 + 2 * i), email(1_000_000 + 2 * i + 1)));
    const counter = countingStatements(t.db);
    const result = await withTenant(counter.db, tenant.id, (trx) => resolvePersons(trx, records));
    expect(result).toMatchObject({ created: 5_000, merged: 100, blocked: 0 });
    expect(result.personIds[0]).toBe(result.personIds[1]); // the pair shares a device
    // set_config + 1 lock + 6 reads + 7 writes + 6 to move merged persons' profiles and tags,
    // and one ledger read per merge of stored persons.
    expect(counter.count).toBeLessThanOrEqual(21 + result.merged);
    counter.reset();
    await withTenant(counter.db, tenant.id, (trx) => resolvePersons(trx, records));
    expect(counter.count).toBeLessThanOrEqual(15);
  });

  it('reads nothing of the graph for identifiers the batch says are new, and fails rather than relink one that is not', async () => {
    const fresh = Array.from({ length: 1_000 }, (_, i) => rec(email(300_000 + i), phone(400_000 + i)));
    const counter = countingStatements(t.db);
    const result = await withTenant(counter.db, tenant.id, (trx) =>
      resolvePersons(trx, fresh, { newIdentifierIds: new Set(fresh.flatMap((record) => record.identifiers.map((identifier) => identifier.id))) }),
    );
    expect(result).toMatchObject({ created: 1_000, merged: 0 });
    // set_config + lock + separations + create persons + links + fan-out sightings: no reads of links, marks or sightings.
    expect(counter.count).toBeLessThanOrEqual(6);
    expect(await personOf(email(300_000))).toBe(result.personIds[0]);

    const [stored] = (await resolve([rec(email(500_000))])).personIds;
    await expect(resolve([rec(email(500_000), phone(500_001))], { newIdentifierIds: new Set([500_000, 500_001]) })).rejects.toThrow(/duplicate key|unique/);
    expect(await personOf(email(500_000))).toBe(stored);
  });

  it('keeps tenants apart', async () => {
    const other = await ensureTenant(t.db, 'other-brand');
    const [mine] = (await resolve([rec(email(80), phone(81))])).personIds;
    const theirs = await inTenant((trx) => resolvePersons(trx, [rec(phone(81), email(82))]), other.id);
    expect(theirs).toMatchObject({ merged: 0, created: 1 });
    expect(theirs.personIds[0]).not.toBe(mine);
    expect(await personOf(email(82))).not.toBe(theirs.personIds[0]);
    expect(await personCount(other.id)).toBe(1);
    expect(await personOf(email(80))).toBe(mine);
  });

  it('refuses records that would bring back an erased person, and bad input without writing', async () => {
    const erased = (await personOf(email(90)))!;
    await inTenant((trx) => addTombstones(trx, [{ hash: subjectTombstone(trx.tenantId, consentSubjectOf(erased)), kind: 'subject' }], '00000000-0000-4000-8000-000000000001'));
    const result = await resolve([rec(email(90), phone(91)), rec(phone(92))]);
    expect(result.personIds[0]).toBeNull();
    expect(result.refused).toEqual([{ record: 0, reason: 'suppressed' }]);
    expect(typeof result.personIds[1]).toBe('number');
    expect(await personOf(phone(91))).not.toBe(erased); // phone 91 was never linked to the erased person

    const before = await personCount();
    await expect(resolve([rec(email(93)), rec()])).rejects.toMatchObject({ code: 'ACCORD_ERR_INVALID_INPUT' });
    await expect(resolve([rec({ id: 0, type: 'email' })])).rejects.toMatchObject({ code: 'ACCORD_ERR_INVALID_INPUT' });
    await expect(resolve([rec(email(94)), rec({ id: 90, type: 'phone' })])).rejects.toMatchObject({ code: 'ACCORD_ERR_INVALID_INPUT' });
    await expect(resolve([rec(email(95))], { rules: { ...defaultIdentityRules, sharedTypes: { phone: 0 } } })).rejects.toMatchObject({ code: 'ACCORD_ERR_INVALID_INPUT' });
    expect(await personCount()).toBe(before);
  });
});
