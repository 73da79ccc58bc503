import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobProcessors } from '../../../api/job-processors.ts';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { PROFILING_PURPOSE } from '../../../core/consent/profiling-purpose.ts';
import type { Purpose } from '../../../consent/purpose.ts';
import { identifierTombstone, subjectTombstone } from '../../../consent/suppression-hash.ts';
import { deriveKey } from '../../../crypto/derive-key.ts';
import { open, SealOpenError } from '../../../crypto/seal.ts';
import { checkConsent } from '../../../core/consent/check-consent.ts';
import { publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { verifyConsentLog } from '../../../core/consent/verify-consent-log.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { executeJob } from '../../../core/jobs/job-store.ts';
import { recordDisclosures } from '../../../core/privacy/disclosures.ts';
import { eraseSubject, SUBJECT_ERASED_JOB } from '../../../core/privacy/erase-subject.ts';
import { exportSubjectData } from '../../../core/privacy/export-subject-data.ts';
import { EXPORT_PAGE, subjectExportSections } from '../../../core/privacy/subject-export-sections.ts';
import { ERASURE_NOTICE_ACTIVITY } from '../../../core/privacy/notify-erasure-recipients.ts';
import { createPrivacyRequest, getPrivacyRequest, listPrivacyRequests, transitionPrivacyRequest, type PrivacyRequest } from '../../../core/privacy/privacy-requests.ts';
import { SubjectVault } from '../../../core/privacy/subject-vault.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { assertNotSuppressed, isSuppressed } from '../../../core/privacy/suppression.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const lookalike: Purpose = {
  key: 'marketing.advertising.lookalike',
  name: 'Lookalike audiences with media partners',
  mechanism: 'opt_in',
  legalBasis: { pipl: 'consent', gdpr: 'consent' },
  retentionDays: 365,
  sensitiveCategory: null,
  requiresNamedRecipient: true,
  crossBorder: false,
  publicDisclosure: false,
};
const sms: Purpose = { ...lookalike, key: 'marketing.sms', name: 'Marketing SMS', requiresNamedRecipient: false };
const masterKey = new Uint8Array(32).fill(9);
const emailHash = 'a'.repeat(64);

describe.each(storageBackends)('subject vault and erasure on %s', (backend) => {
  let t: TestDatabase;
  let brand: Tenant;
  let other: Tenant;
  let notice: Notice;
  let counter = 0;
  const vault = new SubjectVault(masterKey);
  const inBrand = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, brand.id, work);
  const grant = (subject: string, purpose: string, recipient?: string) =>
    inBrand((trx) =>
      recordConsentEvent(trx, {
        clientEventId: `grant-${++counter}`,
        subject,
        purpose,
        recipient,
        regime: 'pipl',
        kind: 'given',
        noticeId: notice.id,
        channel: 'app',
        source: 'signup',
        collectedAt: new Date(Date.now() + 1_000),
      }),
    );
  /** A request that reached in_progress, as a privacy officer would bring it there. */
  const startedRequest = (subject: string, kind: 'erasure' | 'access' = 'erasure') =>
    inBrand(async (trx) => {
      const created = await createPrivacyRequest(trx, { kind, regime: 'pipl', subject, receivedAt: new Date() }, 'officer');
      await transitionPrivacyRequest(trx, created.id, { to: 'verifying' }, 'officer');
      return transitionPrivacyRequest(trx, created.id, { to: 'in_progress', verification: { method: 'sms_otp', reference: 'otp-1' } }, 'officer');
    });
  const erase = (request: PrivacyRequest, identifiers = [{ type: 'email_sha256', hash: emailHash }]) => inBrand((trx) => eraseSubject(trx, { vault, identifiers: new IdentifierKeys(masterKey) }, request, identifiers));

  beforeEach(async () => {
    t = await openTestDatabase(backend);
    brand = await ensureTenant(t.db, 'brand');
    other = await ensureTenant(t.db, 'other-brand');
    notice = await inBrand(async (trx) => {
      await definePurpose(trx, lookalike);
      await definePurpose(trx, sms);
      return publishNotice(trx, { noticeKey: 'privacy', language: 'zh-CN', content: '隐私政策 v1', purposes: [lookalike.key, sms.key], recipients: ['ocean-engine', 'tencent-ads'], dataCategories: ['phone'] });
    });
  });
  afterEach(() => t.dispose());

  it('seals personal values per subject and field, replaces and rectifies them', async () => {
    expect(await inBrand((trx) => vault.put(trx, 'member-1', 'contact.phone', '+8613800138000'))).toEqual({ created: true });
    expect(await inBrand((trx) => vault.put(trx, 'member-1', 'contact.phone', '+8613900139000'))).toEqual({ created: false });
    await inBrand((trx) => vault.rectify(trx, 'member-1', 'contact.phone', '+8613700137000'));
    expect(await inBrand((trx) => vault.get(trx, 'member-1', 'contact.phone'))).toBe('+8613700137000');
    await expect(inBrand((trx) => vault.rectify(trx, 'member-1', 'contact.email', 'x@example.com'))).rejects.toMatchObject({ code: 'ACCORD_ERR_NOT_FOUND' });
    await expect(inBrand((trx) => vault.put(trx, 'member-1', 'Contact Email', 'x'))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_INVALID' });

    const row = await t.db.selectFrom('subject_personal_data').select('value_sealed').executeTakeFirstOrThrow();
    expect(Buffer.from(row.value_sealed).includes(Buffer.from('+8613700137000'))).toBe(false);
    // A sealed value moved onto another subject's row does not open there.
    await inBrand((trx) => vault.put(trx, 'member-2', 'contact.phone', '+8610000000000'));
    await t.db.updateTable('subject_personal_data').set({ value_sealed: row.value_sealed }).where('subject', '=', 'member-2').execute();
    await expect(inBrand((trx) => vault.get(trx, 'member-2', 'contact.phone'))).rejects.toThrow(SealOpenError);
    // Another tenant sees nothing of it.
    expect(await withTenant(t.db, other.id, (trx) => vault.read(trx, 'member-1'))).toEqual([]);
  });

  it('erases: withdraws every grant, shreds the vault, leaves a tombstone and a job, and the chain still verifies', async () => {
    await grant('member-1', lookalike.key, 'ocean-engine');
    await grant('member-1', lookalike.key, 'tencent-ads');
    await grant('member-1', sms.key);
    await grant('member-2', sms.key);
    await inBrand(async (trx) => {
      await vault.put(trx, 'member-1', 'contact.phone', '+8613800138000');
      await vault.put(trx, 'member-1', 'note.support', 'called about a refund');
      await recordDisclosures(trx, [{ subject: 'member-1', recipient: 'kuaishou', purpose: lookalike.key, reference: 'sync-17', disclosedAt: new Date() }]);
    });
    // What a backup of the payload table would hold, and proof that it opens while the key exists.
    const backup = await t.db.selectFrom('subject_personal_data').select(['field', 'value_sealed']).where('subject', '=', 'member-1').execute();
    const openBackup = async () => {
      const keyRow = await t.db.selectFrom('subject_keys').select('key_sealed').where('subject', '=', 'member-1').executeTakeFirst();
      if (!keyRow) throw new SealOpenError();
      const tenantKey = deriveKey(masterKey, `accord/subject-vault/v1/tenant-key\0${brand.id}`);
      const subjectKey = open(tenantKey, keyRow.key_sealed, new TextEncoder().encode(`accord/subject-vault/v1/subject-key\0${brand.id}\0member-1`));
      return backup.map((r) => new TextDecoder().decode(open(subjectKey, r.value_sealed, new TextEncoder().encode(`accord/subject-vault/v1/payload\0${brand.id}\0member-1\0${r.field}`))));
    };
    expect(await openBackup()).toContain('+8613800138000');

    const request = await startedRequest('member-1');
    const outcome = await erase(request);
    // Three grants withdrawn, and every tenant's analytics.profiling refused where it is opt-out (CCPA).
    expect(outcome).toMatchObject({ withdrawnSeqs: [5, 6, 7, 8], fieldsDeleted: 2, keyShredded: true, tombstonesAdded: 2, recipients: ['kuaishou', 'ocean-engine', 'tencent-ads'], alreadyErased: false });

    for (const [purpose, recipient] of [[lookalike.key, 'ocean-engine'], [lookalike.key, 'tencent-ads'], [sms.key, undefined]] as const) {
      expect(await inBrand((trx) => checkConsent(trx, { subject: 'member-1', purpose, recipient, regime: 'pipl', at: new Date() }))).toMatchObject({ allowed: false, reason: 'denied' });
    }
    expect((await inBrand((trx) => checkConsent(trx, { subject: 'member-2', purpose: sms.key, regime: 'pipl', at: new Date() }))).allowed).toBe(true);
    const withdrawals = await t.db.selectFrom('consent_events').select(['kind', 'channel', 'source']).where('seq', '>', 4).orderBy('seq').execute();
    expect(withdrawals).toEqual([...Array(3).fill({ kind: 'withdrawn', channel: 'privacy_request', source: request.id }), { kind: 'refused', channel: 'privacy_request', source: request.id }]);
    expect(await inBrand((trx) => verifyConsentLog(trx))).toEqual({ ok: true, eventsChecked: 8 });

    expect(await t.db.selectFrom('subject_personal_data').selectAll().where('subject', '=', 'member-1').execute()).toEqual([]);
    expect(await t.db.selectFrom('subject_keys').selectAll().where('subject', '=', 'member-1').execute()).toEqual([]);
    await expect(openBackup()).rejects.toThrow(SealOpenError);
    expect(await inBrand((trx) => vault.read(trx, 'member-1'))).toEqual([]);

    const job = await t.db.selectFrom('jobs').selectAll().where('name', '=', SUBJECT_ERASED_JOB).executeTakeFirstOrThrow();
    expect(job.id).toBe(outcome.jobId);
    const subjectHash = Buffer.from(subjectTombstone(brand.id, 'member-1')).toString('hex');
    expect(job.payload).toEqual({
      requestId: request.id,
      subjectTombstone: subjectHash,
      tombstones: [subjectHash, Buffer.from(identifierTombstone(brand.id, { type: 'email_sha256', hash: emailHash })).toString('hex')],
      recipients: ['kuaishou', 'ocean-engine', 'tencent-ads'],
    });
    // The processor leaves one deletion notice per recipient, and a redelivery adds none.
    for (let run = 0; run < 2; run++) expect(await executeJob(t.db, jobProcessors(new ConsentGate()), job)).toEqual({ ok: true });
    const notices = await t.db.selectFrom('processing_records').select(['details']).where('activity', '=', ERASURE_NOTICE_ACTIVITY).execute();
    expect(notices.map((n) => (n.details as { recipient: string }).recipient).sort()).toEqual(['kuaishou', 'ocean-engine', 'tencent-ads']);
  });

  it('suppresses the erased subject: new personal data refused, identifiers on the list, other tenants untouched', async () => {
    await erase(await startedRequest('member-1'));
    await expect(inBrand((trx) => vault.put(trx, 'member-1', 'contact.phone', '+8613800138000'))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_SUPPRESSED' });
    // A re-import of an old grant cannot bring the person back; another person in the batch is not recorded either.
    await expect(grant('member-1', sms.key)).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_SUPPRESSED' });
    await expect(inBrand((trx) => assertNotSuppressed(trx, 'member-1'))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_SUPPRESSED' });
    await inBrand((trx) => assertNotSuppressed(trx, 'member-2'));
    await expect(inBrand((trx) => assertNotSuppressed(trx, ['member-2', 'member-1']))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_SUPPRESSED' });
    expect(await inBrand((trx) => isSuppressed(trx, [identifierTombstone(brand.id, { type: 'email_sha256', hash: emailHash })]))).toBe(true);
    expect(await withTenant(t.db, other.id, (trx) => isSuppressed(trx, [subjectTombstone(other.id, 'member-1'), subjectTombstone(brand.id, 'member-1')]))).toBe(false);
    await withTenant(t.db, other.id, (trx) => vault.put(trx, 'member-1', 'contact.phone', '+8613800138000'));
  });

  it('keeps tombstones whatever happens to the request: no UPDATE, no DELETE, requests themselves not deletable', async () => {
    const request = await startedRequest('member-1');
    await erase(request);
    await expect(t.db.deleteFrom('suppression_tombstones').execute()).rejects.toThrow(/append-only/);
    await expect(t.db.updateTable('suppression_tombstones').set({ kind: 'x' }).execute()).rejects.toThrow(/append-only/);
    await expect(inBrand((trx) => trx.deleteFrom('suppression_tombstones').execute())).rejects.toThrow();
    await expect(inBrand((trx) => trx.deleteFrom('privacy_requests').where('id', '=', request.id).execute())).rejects.toThrow(/permission denied/);
    await expect(t.db.deleteFrom('privacy_request_trail').execute()).rejects.toThrow(/append-only/);
    expect(await t.db.selectFrom('suppression_tombstones').select('kind').orderBy('kind').execute()).toEqual([{ kind: 'email_sha256' }, { kind: 'subject' }]);
    await expect(inBrand((trx) => assertNotSuppressed(trx, 'member-1'))).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_SUPPRESSED' });
  });

  it('treats a later erasure of the same subject as done already', async () => {
    await grant('member-1', sms.key);
    await inBrand((trx) => vault.put(trx, 'member-1', 'contact.phone', '+8613800138000'));
    await erase(await startedRequest('member-1'));
    const head = await t.db.selectFrom('consent_chain_heads').select('seq').executeTakeFirstOrThrow();
    const again = await erase(await startedRequest('member-1'));
    expect(again).toEqual({ withdrawnSeqs: [], fieldsDeleted: 0, keyShredded: false, tombstonesAdded: 0, recipients: [], jobId: null, alreadyErased: true, removals: [] });
    expect(await t.db.selectFrom('consent_chain_heads').select('seq').executeTakeFirstOrThrow()).toEqual(head);
    expect(await t.db.selectFrom('jobs').select('id').where('name', '=', SUBJECT_ERASED_JOB).execute()).toHaveLength(1);
    expect(await inBrand((trx) => verifyConsentLog(trx))).toMatchObject({ ok: true });
  });

  it('refuses opt-out purposes explicitly, so silence no longer allows processing an erased person', async () => {
    const analytics: Purpose = { ...sms, key: 'analytics.usage', name: 'Usage analytics', legalBasis: { ccpa: 'opt_out', pipl: 'consent' } };
    await inBrand((trx) => definePurpose(trx, analytics));
    const gate = () => inBrand((trx) => checkConsent(trx, { subject: 'member-3', purpose: analytics.key, regime: 'ccpa', at: new Date() }));
    expect(await gate()).toMatchObject({ allowed: true, reason: 'opt_out_default' });
    await erase(await startedRequest('member-3'));
    expect(await gate()).toMatchObject({ allowed: false, reason: 'denied' });
    // Only the opt-out regime gets a refusal; PIPL is opt-in there and silence already denies.
    const events = await t.db.selectFrom('consent_events').select(['purpose', 'regime', 'kind']).where('subject', '=', 'member-3').orderBy('purpose').execute();
    expect(events).toEqual([
      { purpose: PROFILING_PURPOSE, regime: 'ccpa', kind: 'refused' },
      { purpose: analytics.key, regime: 'ccpa', kind: 'refused' },
    ]);
  });

  it('refuses a raw identifier and then changes nothing', async () => {
    await grant('member-1', sms.key);
    await inBrand((trx) => vault.put(trx, 'member-1', 'contact.phone', '+8613800138000'));
    const request = await startedRequest('member-1');
    await expect(erase(request, [{ type: 'email', hash: 'someone@example.com' }])).rejects.toMatchObject({ code: 'ACCORD_ERR_CONSENT_INVALID' });
    expect(await inBrand((trx) => vault.get(trx, 'member-1', 'contact.phone'))).toBe('+8613800138000');
    expect(await t.db.selectFrom('suppression_tombstones').selectAll().execute()).toEqual([]);
    expect((await inBrand((trx) => checkConsent(trx, { subject: 'member-1', purpose: sms.key, regime: 'pipl', at: new Date() }))).allowed).toBe(true);
  });

  it('exports a history longer than a page, page by page, as one JSON document', async () => {
    const count = EXPORT_PAGE * 2 + 3;
    const sent = Array.from({ length: count }, (_, i) => ({ subject: 'member-1', recipient: `partner-${i}`, purpose: lookalike.key, reference: `sync-${i}`, disclosedAt: new Date() }));
    await inBrand((trx) => recordDisclosures(trx, [...sent, { ...sent[0]!, subject: 'member-2' }]));
    await inBrand((trx) => vault.put(trx, 'member-1', 'contact.email', 'someone@example.com'));
    let text = '';
    for await (const chunk of exportSubjectData(inBrand, subjectExportSections(vault), 'member-1', { request: { id: 'r-1' } })) text += chunk;
    const bundle = JSON.parse(text);
    expect(bundle.disclosures.map((d: { reference: string }) => d.reference)).toEqual(sent.map((d) => d.reference));
    expect(bundle.personalData).toEqual([expect.objectContaining({ field: 'contact.email', value: 'someone@example.com' })]);
    expect(bundle.request).toEqual({ id: 'r-1' });
    const pageSizes: number[] = [];
    const disclosures = subjectExportSections(vault).find((section) => section.name === 'disclosures')!;
    for await (const page of disclosures.pages(inBrand, 'member-1')) pageSizes.push(page.length);
    expect(pageSizes).toEqual([EXPORT_PAGE, EXPORT_PAGE, 3]);
  });

  it('lists requests by deadline, overdue ones apart, and hides them from other tenants', async () => {
    const day = 86_400_000;
    const now = new Date();
    const [late, onTime, closedLate] = await inBrand(async (trx) => [
      await createPrivacyRequest(trx, { kind: 'access', regime: 'pipl', subject: 'member-1', receivedAt: new Date(now.getTime() - 20 * day) }, 'officer'),
      await createPrivacyRequest(trx, { kind: 'access', regime: 'gdpr', subject: 'member-2', receivedAt: new Date(now.getTime() - 20 * day) }, 'officer'),
      await createPrivacyRequest(trx, { kind: 'erasure', regime: 'ccpa', subject: 'member-3', receivedAt: new Date(now.getTime() - 51 * day) }, 'officer'),
    ]);
    await inBrand((trx) => transitionPrivacyRequest(trx, closedLate!.id, { to: 'rejected', reason: 'duplicate of an earlier request' }, 'officer'));
    const ids = (list: PrivacyRequest[]) => list.map((r) => r.id);
    expect(ids(await inBrand((trx) => listPrivacyRequests(trx, { overdue: true, at: now, limit: 10 })))).toEqual([late!.id]);
    expect(ids(await inBrand((trx) => listPrivacyRequests(trx, { overdue: false, at: now, limit: 10 })))).toEqual([closedLate!.id, onTime!.id]);
    expect(ids(await inBrand((trx) => listPrivacyRequests(trx, { at: now, limit: 10 })))).toEqual([closedLate!.id, late!.id, onTime!.id]);
    expect(ids(await inBrand((trx) => listPrivacyRequests(trx, { at: now, limit: 2, after: late!.id })))).toEqual([onTime!.id]);
    expect(ids(await inBrand((trx) => listPrivacyRequests(trx, { status: 'rejected', at: now, limit: 10 })))).toEqual([closedLate!.id]);
    expect(await withTenant(t.db, other.id, (trx) => listPrivacyRequests(trx, { at: now, limit: 10 }))).toEqual([]);
    await expect(withTenant(t.db, other.id, (trx) => getPrivacyRequest(trx, late!.id))).rejects.toMatchObject({ code: 'ACCORD_ERR_NOT_FOUND' });
  });
});
