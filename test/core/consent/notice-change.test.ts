import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConsent } from '../../../core/consent/check-consent.ts';
import { invalidateSupersededConsents } from '../../../core/consent/invalidate-superseded-consents.ts';
import { INVALIDATE_SUPERSEDED_CONSENTS_JOB, publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { verifyConsentLog } from '../../../core/consent/verify-consent-log.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { JobContext } from '../../../core/jobs/job-runner.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const purpose = 'marketing.advertising';

describe.each(storageBackends)('material notice changes on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let n = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const publish = (recipients: string[], dataCategories = ['phone']) =>
    inTenant((trx) => publishNotice(trx, { noticeKey: 'privacy', language: 'zh-CN', content: `通知 ${++n}`, purposes: [purpose], recipients, dataCategories }));
  const grant = (subject: string, notice: Notice, recipient = 'tencent-ads') =>
    inTenant((trx) => recordConsentEvent(trx, { clientEventId: `g${++n}`, subject, purpose, recipient, regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'test', collectedAt: new Date() }));
  const gate = (subject: string) => inTenant((trx) => checkConsent(trx, { subject, purpose, recipient: 'tencent-ads', regime: 'pipl', at: new Date() }));
  const runQueued = async () => {
    const jobs = await t.db.selectFrom('jobs').selectAll().where('name', '=', INVALIDATE_SUPERSEDED_CONSENTS_JOB).execute();
    for (const job of jobs) {
      const context: JobContext = { id: job.id, tenantId: job.tenant_id, name: job.name, payload: job.payload, attempt: 1, inTenant: (work) => withTenant(t.db, job.tenant_id, work) };
      await invalidateSupersededConsents(context);
    }
    return jobs.length;
  };

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    tenant = await ensureTenant(t.db, 'brand');
    await inTenant((trx) => definePurpose(trx, { key: purpose, name: 'Ads', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false }));
  });
  afterEach(() => t.dispose());

  it('invalidates consents given under a version that disclosed less, and refuses new grants citing it', async () => {
    const v1 = await publish(['tencent-ads']);
    await grant('member-1', v1);
    await grant('member-2', v1);
    expect((await gate('member-1')).allowed).toBe(true);
    // Same scope, new wording: not material, nothing to invalidate.
    const v2 = await publish(['tencent-ads']);
    expect(await runQueued()).toBe(0);
    expect((await gate('member-1')).allowed).toBe(true);

    const v3 = await publish(['tencent-ads', 'ocean-engine'], ['phone', 'purchase_history']);
    expect(await runQueued()).toBe(1);
    expect(await gate('member-1')).toMatchObject({ allowed: false, reason: 'denied' });
    expect(await gate('member-2')).toMatchObject({ allowed: false, reason: 'denied' });
    await expect(grant('member-1', v2)).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_NOTICE_SUPERSEDED' });
    await grant('member-1', v3);
    expect(await gate('member-1')).toMatchObject({ allowed: true, reason: 'granted' });
    // Running the job again appends nothing and leaves the new grant alone.
    const before = await inTenant((trx) => verifyConsentLog(trx));
    await runQueued();
    expect(await inTenant((trx) => verifyConsentLog(trx))).toEqual(before);
    expect((await gate('member-1')).allowed).toBe(true);
  });
});
