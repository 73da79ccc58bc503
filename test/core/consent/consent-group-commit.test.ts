import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentError } from '../../../consent/consent-errors.ts';
import { subjectTombstone } from '../../../consent/suppression-hash.ts';
import { ConsentGroupCommit } from '../../../core/consent/consent-group-commit.ts';
import { publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import type { ConsentEventInput, RecordedEvent } from '../../../core/consent/record-consent-event.ts';
import { verifyConsentLog } from '../../../core/consent/verify-consent-log.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { addTombstones } from '../../../core/privacy/suppression.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

describe.each(storageBackends)('consent group commit on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let notice: Notice;
  let committer: ConsentGroupCommit;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const event = (id: string, overrides: Partial<ConsentEventInput> = {}): ConsentEventInput => ({
    clientEventId: id,
    subject: `member-${id}`,
    purpose: 'marketing.sms',
    regime: 'pipl',
    kind: 'given',
    noticeId: notice.id,
    channel: 'app',
    source: 'signup-form',
    collectedAt: new Date(),
    ...overrides,
  });
  /** Stored events in chain order: sequence, client id and the time the chain transaction received them. */
  const storedEvents = () =>
    inTenant((trx) => trx.selectFrom('consent_events').select(['seq', 'client_event_id', 'received_at']).orderBy('seq').execute());
  const settle = (writes: Array<Promise<RecordedEvent[]>>) => Promise.allSettled(writes);

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    notice = await inTenant(async (trx) => {
      await definePurpose(trx, { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: 365, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
      return publishNotice(trx, { noticeKey: 'sms', language: 'zh-CN', content: '短信营销', purposes: ['marketing.sms'], recipients: [], dataCategories: ['phone'] });
    });
    committer = new ConsentGroupCommit(t.db);
  });
  afterEach(() => t.dispose());

  it('lets writers that arrive during a chain transaction join the next one, each with its own sequence number, and the chain verifies', async () => {
    const writes = Array.from({ length: 40 }, (_, i) => committer.record(tenant.id, [event(`e${i}`)]));
    const recorded = (await Promise.all(writes)).map(([one]) => one!);

    expect(recorded.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(recorded.every((r) => !r.duplicate && r.decision?.granted)).toBe(true);
    const stored = await storedEvents();
    expect(stored.map((row) => row.client_event_id)).toEqual(Array.from({ length: 40 }, (_, i) => `e${i}`));
    // The first writer found the chain idle and went alone; the 39 that queued behind it went together.
    expect(new Set(stored.map((row) => row.received_at.getTime())).size).toBe(2);
    expect(await inTenant((trx) => verifyConsentLog(trx))).toMatchObject({ ok: true, eventsChecked: 40 });
  });

  it("refuses one writer's invalid event and records the others of its group", async () => {
    const [first, ...rest] = await settle([
      committer.record(tenant.id, [event('lead')]),
      committer.record(tenant.id, [event('a')]),
      committer.record(tenant.id, [event('b1'), event('b2', { purpose: 'marketing.unknown' })]),
      committer.record(tenant.id, [event('c', { kind: 'withdrawn', noticeId: undefined })]),
    ]);
    expect(first?.status).toBe('fulfilled');
    expect(rest.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refusal = (rest[1] as PromiseRejectedResult).reason;
    expect(refusal).toBeInstanceOf(ConsentError);
    expect(refusal.code).toBe('ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE');
    // The refused writer's valid event b1 is not written either: a writer's events are all or nothing.
    expect((await storedEvents()).map((row) => row.client_event_id)).toEqual(['lead', 'a', 'c']);
  });

  it("replays the group one by one when the append refuses one writer (an erased subject's grant), and writes nothing twice", async () => {
    await inTenant((trx) => addTombstones(trx, [{ hash: subjectTombstone(tenant.id, 'member-erased'), kind: 'subject' }], '00000000-0000-4000-8000-000000000001'));
    const outcomes = await settle([
      committer.record(tenant.id, [event('lead')]),
      committer.record(tenant.id, [event('a')]),
      committer.record(tenant.id, [event('erased', { subject: 'member-erased' })]),
      committer.record(tenant.id, [event('b')]),
    ]);
    expect(outcomes.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[2] as PromiseRejectedResult).reason as ConsentError).code).toBe('ACCORD_ERR_CONSENT_SUPPRESSED');
    const stored = await storedEvents();
    expect(stored.map((row) => [row.seq, row.client_event_id])).toEqual([[1, 'lead'], [2, 'a'], [3, 'b']]);
    expect(await inTenant((trx) => verifyConsentLog(trx))).toMatchObject({ ok: true, eventsChecked: 3 });
  });

  it('answers a client event id sent twice in one group as a duplicate, and the same id with other content as a conflict', async () => {
    const same = event('twice');
    const outcomes = await settle([
      committer.record(tenant.id, [event('lead')]),
      committer.record(tenant.id, [same]),
      committer.record(tenant.id, [same]),
      committer.record(tenant.id, [{ ...same, kind: 'refused', noticeId: undefined }]),
    ]);
    expect(outcomes.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const [, original, again] = outcomes.map((r) => (r.status === 'fulfilled' ? r.value[0]! : undefined));
    expect(original).toMatchObject({ seq: 2, duplicate: false });
    expect(again).toMatchObject({ seq: 2, duplicate: true });
    expect(((outcomes[3] as PromiseRejectedResult).reason as ConsentError).code).toBe('ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH');
    expect((await storedEvents()).map((row) => row.client_event_id)).toEqual(['lead', 'twice']);
  });

  it('refuses a writer with more events than a group holds, writing nothing', async () => {
    const many = Array.from({ length: 1_001 }, (_, i) => event(`m${i}`));
    await expect(committer.record(tenant.id, many)).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_INVALID' });
    expect(await storedEvents()).toEqual([]);
  });
});
