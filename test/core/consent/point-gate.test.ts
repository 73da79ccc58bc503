import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { consentChangePayload, parseConsentChange } from '../../../core/consent/consent-change.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { PointGate } from '../../../core/consent/point-gate.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { changeFeedOf } from '../../../core/db/change-feed.ts';
import { openDatabase } from '../../../core/db/open-database.ts';
import type { Database } from '../../../core/db/schema.ts';
import { withTenant } from '../../../core/db/tenant-scope.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import type { Kysely } from 'kysely';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const purpose = 'audience.matching';
const question = { subject: 'member-1', purpose, recipient: 'media-partner', regime: 'pipl' as const };

describe.each(storageBackends)('point gate memory on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let noticeId: string;
  let n = 0;
  const record = (db: Kysely<Database>, kind: 'given' | 'withdrawn', subject = question.subject) =>
    withTenant(db, tenant.id, (trx) =>
      recordConsentEvent(trx, { clientEventId: `e${++n}`, subject, purpose, recipient: 'media-partner', regime: 'pipl', kind, ...(kind === 'given' ? { noticeId } : {}), channel: 'app', source: 'test', collectedAt: new Date(Date.now() + n) }),
    );
  /** Changes the projection behind the ledger's back, announcing nothing: only a cache would miss it. */
  const silentlyDeny = () => sql`update consent_state set granted = false where subject = ${question.subject}`.execute(t.db);
  const ask = (gate: PointGate) => gate.check(tenant.id, { ...question, at: new Date(Date.now() + 1_000_000) });

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    noticeId = await withTenant(t.db, tenant.id, async (trx) => {
      await definePurpose(trx, { key: purpose, name: 'Matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: [purpose], recipients: ['media-partner'], dataCategories: [] })).id;
    });
    await vi.waitFor(() => expect(changeFeedOf(t.db).live).toBe(true));
  });
  afterEach(() => t.dispose());

  it('answers from memory until the ledger announces a change for the subject', async () => {
    const gate = new PointGate(t.db);
    expect(await ask(gate)).toMatchObject({ allowed: false, reason: 'no_consent' });
    const granted = await record(t.db, 'given');
    expect(await ask(gate)).toEqual({ allowed: true, reason: 'granted', decidedBySeq: granted.seq });
    await silentlyDeny();
    expect((await ask(gate)).allowed).toBe(true);
    // A change for someone else leaves this subject's memory alone; one for the subject drops it.
    await record(t.db, 'given', 'member-2');
    expect((await ask(gate)).allowed).toBe(true);
    const withdrawn = await record(t.db, 'withdrawn');
    expect(await ask(gate)).toEqual({ allowed: false, reason: 'denied', decidedBySeq: withdrawn.seq });
  });

  it('answers from the ledger while the change feed is not live', async () => {
    const gate = new PointGate(t.db);
    await record(t.db, 'given');
    expect((await ask(gate)).allowed).toBe(true);
    changeFeedOf(t.db).setLive(false);
    await silentlyDeny();
    expect(await ask(gate)).toMatchObject({ allowed: false, reason: 'denied' });
    changeFeedOf(t.db).setLive(true);
  });

  it.runIf(backend === 'postgres')('hears withdrawals recorded by another process', async () => {
    const other = await openDatabase({ kind: 'postgres', url: t.url! });
    try {
      const gate = new PointGate(t.db);
      await record(other.db, 'given');
      expect((await ask(gate)).allowed).toBe(true);
      await record(other.db, 'withdrawn');
      await vi.waitFor(async () => expect((await ask(gate)).allowed).toBe(false));
    } finally {
      await other.close();
    }
  });
});

describe('consent change payloads', () => {
  it('lists the subjects, or none when the list would not fit a NOTIFY', () => {
    expect(parseConsentChange(consentChangePayload('t1', ['a', 'b']))).toEqual({ tenantId: 't1', subjects: ['a', 'b'] });
    const many = Array.from({ length: 2_000 }, (_, i) => `member-${i}`);
    expect(parseConsentChange(consentChangePayload('t1', many))).toEqual({ tenantId: 't1', subjects: null });
    expect(parseConsentChange('not json')).toBeUndefined();
    expect(parseConsentChange(JSON.stringify({ t: 't1', s: [1] }))).toBeUndefined();
  });
});
