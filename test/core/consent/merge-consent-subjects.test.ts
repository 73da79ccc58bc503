import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConsent } from '../../../core/consent/check-consent.ts';
import { mergeConsentSubjects } from '../../../core/consent/merge-consent-subjects.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const purpose = 'marketing.advertising';

describe.each(storageBackends)('identity merge of consent on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let noticeId: string;
  let n = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const record = (subject: string, kind: 'given' | 'withdrawn', recipient = 'tencent-ads') =>
    inTenant((trx) => recordConsentEvent(trx, { clientEventId: `e${++n}`, subject, purpose, recipient, regime: 'pipl', kind, ...(kind === 'given' ? { noticeId } : {}), channel: 'app', source: 'test', collectedAt: new Date(Date.now() + n) }));
  const allowed = async (subject: string, recipient = 'tencent-ads') => (await inTenant((trx) => checkConsent(trx, { subject, purpose, recipient, regime: 'pipl', at: new Date() }))).allowed;
  const merge = (mergeId: string, survivor: string, absorbed: string) => inTenant((trx) => mergeConsentSubjects(trx, { mergeId, survivor, absorbed, at: new Date(Date.now() + 1_000) }));

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    noticeId = await inTenant(async (trx) => {
      await definePurpose(trx, { key: purpose, name: 'Ads', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
      return (await publishNotice(trx, { noticeKey: 'n', language: 'zh-CN', content: '通知', purposes: [purpose], recipients: ['tencent-ads', 'ocean-engine'], dataCategories: [] })).id;
    });
  });
  afterEach(() => t.dispose());

  it('takes the most restrictive state: a withdrawal on either side wins, a grant is never carried over', async () => {
    await record('device:abc', 'given');
    await record('email:hash1', 'given');
    await record('email:hash1', 'withdrawn');
    await record('email:hash1', 'given', 'ocean-engine');
    // The device opted in, the email withdrew: merged, the person is withdrawn.
    expect(await merge('m1', 'device:abc', 'email:hash1')).toEqual({ restricted: 1 });
    expect(await allowed('device:abc')).toBe(false);
    // The email's grant for another recipient does not become the device's.
    expect(await allowed('device:abc', 'ocean-engine')).toBe(false);
    // Retrying the same merge finds nothing left to restrict and appends nothing.
    expect(await merge('m1', 'device:abc', 'email:hash1')).toEqual({ restricted: 0 });
    const count = await inTenant((trx) => trx.selectFrom('consent_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow());
    expect(Number(count.n)).toBe(5);
  });

  it('leaves a survivor that withdrew withdrawn when the absorbed subject had granted', async () => {
    await record('email:hash2', 'given');
    await record('email:hash2', 'withdrawn');
    await record('device:def', 'given');
    expect(await merge('m2', 'email:hash2', 'device:def')).toEqual({ restricted: 0 });
    expect(await allowed('email:hash2')).toBe(false);
    await expect(merge('m3', 'same', 'same')).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_INVALID' });
  });
});
