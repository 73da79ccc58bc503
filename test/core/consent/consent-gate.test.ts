import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent, subjectKeyOf } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

describe.each(storageBackends)('batch consent gate on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let noticeId: string;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  let n = 0;
  const record = (subject: string, kind: 'given' | 'withdrawn') =>
    inTenant((trx) =>
      recordConsentEvent(trx, {
        clientEventId: `e${++n}`,
        subject,
        purpose: 'audience.matching',
        recipient: 'media-partner',
        regime: 'pipl',
        kind,
        ...(kind === 'given' ? { noticeId } : {}),
        channel: 'app',
        source: 'test',
        collectedAt: new Date(Date.now() + 1_000 + n),
      }),
    );

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    noticeId = await inTenant(async (trx) => {
      await definePurpose(trx, { key: 'audience.matching', name: 'Matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: ['audience.matching'], recipients: ['media-partner'], dataCategories: [] })).id;
    });
  });
  afterEach(() => t.dispose());

  it('allows only consented subjects, sees a withdrawal at once, and records every evaluation', async () => {
    for (const subject of ['a', 'b', 'c']) await record(subject, 'given');
    const keys = await inTenant(async (trx) => Uint32Array.from(await Promise.all(['a', 'b', 'c', 'd'].map((s) => subjectKeyOf(trx, s)))));
    const gate = new ConsentGate();
    const run = () => inTenant((trx) => gate.evaluate(trx, { keys, purpose: 'audience.matching', recipient: 'media-partner', regime: 'pipl', at: new Date(Date.now() + 10_000), activity: 'psi.run', actor: 'test' }));
    const first = await run();
    expect(first.keys.length).toBe(3);
    expect(first.denied).toEqual({ noConsent: 1, refused: 0, expired: 0 });
    expect(first.evaluatedAtSeq).toBe(3);

    await record('b', 'withdrawn');
    const second = await run();
    expect([...second.keys].sort()).toEqual([keys[0], keys[2]].sort());
    expect(second.denied.refused).toBe(1);
    expect(second.evaluatedAtSeq).toBe(4);

    const records = await inTenant((trx) => trx.selectFrom('processing_records').select(['activity', 'purpose', 'subjects_in', 'subjects_out', 'details']).orderBy('finished_at').execute());
    expect(records.map((r) => [r.subjects_in, r.subjects_out])).toEqual([
      [4, 3],
      [4, 2],
    ]);
    expect(records[1]).toMatchObject({ activity: 'psi.run', purpose: 'audience.matching', details: { gate: { evaluatedAtSeq: 4, denied: { refused: 1 } } } });
  });

  it('refuses an unknown purpose instead of answering', async () => {
    const gate = new ConsentGate();
    await expect(inTenant((trx) => gate.evaluate(trx, { keys: new Uint32Array(1), purpose: 'no.such', regime: 'pipl', at: new Date(), activity: 'x', actor: 'y' }))).rejects.toMatchObject({
      code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE',
    });
  });
});
