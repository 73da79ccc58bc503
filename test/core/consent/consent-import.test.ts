import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentEventRecord } from '../../../consent/consent-event.ts';
import type { Purpose } from '../../../consent/purpose.ts';
import { chainLink } from '../../../crypto/hash-chain.ts';
import { exportConsentEvents, exportHead } from '../../../core/consent/export-consent-events.ts';
import { findImport, importIssuesPage, type ImportSummary } from '../../../core/consent/import/consent-imports.ts';
import { ImportError } from '../../../core/consent/import/import-errors.ts';
import { importConsentRecords, type ImportOptions } from '../../../core/consent/import/import-consent-records.ts';
import { publishNotice, type Notice } from '../../../core/consent/notices.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { recordConsentEvent } from '../../../core/consent/record-consent-event.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { addTombstones } from '../../../core/privacy/suppression.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { subjectTombstone } from '../../../consent/suppression-hash.ts';
import { encodeGb18030 } from '../../support/gb18030.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const sms: Purpose = {
  key: 'marketing.sms',
  name: 'SMS marketing',
  mechanism: 'opt_in',
  legalBasis: { pipl: 'consent', gdpr: 'consent' },
  retentionDays: null,
  sensitiveCategory: null,
  requiresNamedRecipient: false,
  crossBorder: false,
  publicDisclosure: false,
};

const header = 'clientEventId,subject,purpose,regime,kind,noticeKey,noticeVersion,noticeLanguage,channel,source,collectedAt';

describe.each(storageBackends)('consent import on %s', (backend) => {
  let t: TestDatabase;
  let tenant: Tenant;
  let notice: Notice;
  let dir: string;
  let files = 0;
  /** A time after the notice was published and not in the future, `seconds` apart per use. */
  let at: (seconds: number) => string;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const importFile = async (content: string | Uint8Array, options: Partial<ImportOptions> = {}) => {
    const path = join(dir, `file-${++files}`);
    await writeFile(path, content);
    return importConsentRecords(t.db, tenant.id, path, { format: 'csv', actor: 'test', ...options });
  };
  const importFails = async (content: string | Uint8Array, options: Partial<ImportOptions> = {}): Promise<ImportError> => {
    const error = await importFile(content, options).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    return error as ImportError;
  };
  const eventCount = async () => Number((await inTenant((trx) => trx.selectFrom('consent_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow())).n);
  const issuesOf = (summary: { id: string }) => inTenant((trx) => importIssuesPage(trx, summary.id, 0, 1_000));
  const grantRow = (id: string, subject: string, seconds: number, channel = 'app', source = 'signup') =>
    `${id},${subject},marketing.sms,pipl,given,sms-terms,1,zh-CN,${channel},${source},${at(seconds)}`;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    dir = await mkdtemp(join(tmpdir(), 'accord-import-test-'));
    tenant = await ensureTenant(t.db, 'brand');
    notice = await inTenant(async (trx) => {
      await definePurpose(trx, sms);
      return publishNotice(trx, { noticeKey: 'sms-terms', language: 'zh-CN', content: '我们会向您发送营销短信。', purposes: [sms.key], recipients: [], dataCategories: [] });
    });
    const published = notice.createdAt.getTime() + 1_000;
    at = (seconds) => new Date(published + seconds * 1_000).toISOString();
  });
  afterAll(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports a GBK file (detected) with Chinese text, quoted delimiters, embedded line breaks and CRLF', async () => {
    const text = [header, grantRow('gbk-1', 'member-1', 1, '微信小程序', '"门店登记,第二联\r\n手写"'), grantRow('gbk-2', 'member-2', 2, '短信', '线下活动')].join('\r\n');
    const before = await eventCount();
    const summary = await importFile(encodeGb18030(text));
    expect(summary).toMatchObject({ status: 'completed', encoding: 'gb18030', rowsRead: 2, appended: 2, skipped: 0, lastCommittedRow: 3 });
    expect(await eventCount()).toBe(before + 2);
    const stored = await inTenant((trx) => trx.selectFrom('consent_events').select(['channel', 'source', 'notice_id']).where('client_event_id', 'in', ['gbk-1', 'gbk-2']).orderBy('seq').execute());
    expect(stored).toEqual([
      { channel: '微信小程序', source: '门店登记,第二联\r\n手写', notice_id: notice.id },
      { channel: '短信', source: '线下活动', notice_id: notice.id },
    ]);
  });

  it('reads UTF-8 with a byte order mark and a declared time zone for local times', async () => {
    const local = new Date(Date.parse(at(3)) + 8 * 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
    const text = `\uFEFF${header},evidence.formId\n${grantRow('bom-1', 'member-3', 3).replace(at(3), local)},form-7\n`;
    const summary = await importFile(text, { timeZone: 'Asia/Shanghai' });
    expect(summary).toMatchObject({ status: 'completed', encoding: 'utf-8', timeZone: 'Asia/Shanghai', appended: 1 });
    const stored = await inTenant((trx) => trx.selectFrom('consent_events').select(['collected_at', 'evidence']).where('client_event_id', '=', 'bom-1').executeTakeFirstOrThrow());
    expect(stored).toEqual({ collected_at: new Date(at(3)), evidence: { formId: 'form-7' } });
  });

  it('stops a strict import at a bad row with its row and column, writing nothing of its chunk', async () => {
    const before = await eventCount();
    const ragged = await importFails([header, grantRow('strict-1', 'member-4', 4), 'strict-2,member-5,marketing.sms,pipl'].join('\n'));
    expect(ragged.code).toBe('ACCORD_ERR_IMPORT_ROW');
    expect(ragged.extensions).toMatchObject({ row: 3, line: 3, column: 5, reason: 'ragged_row', lastCommittedRow: 0 });
    expect(ragged.message).toBe('row 3, column 5: the row has 4 columns, the header 11; nothing was imported');

    const noOffset = await importFails([header, grantRow('strict-3', 'member-6', 5).replace(at(5), '2024-07-01 12:00')].join('\n'));
    expect(noOffset.extensions).toMatchObject({ row: 2, column: 11, field: 'collectedAt', reason: 'time_without_offset' });

    const dstGap = await importFails([header, grantRow('strict-4', 'member-7', 6).replace(at(6), '2024-03-10 02:30')].join('\n'), { timeZone: 'America/New_York' });
    expect(dstGap.extensions).toMatchObject({ row: 2, column: 11, reason: 'time_in_dst_gap' });
    expect(dstGap.message).toContain('2024-03-10 02:30 does not exist in America/New_York');

    expect(await eventCount()).toBe(before);
    const failed = await inTenant((trx) => findImport(trx, ragged.extensions.importId as string));
    expect(failed).toMatchObject({ status: 'failed', lastCommittedRow: 0, appended: 0, error: { row: 3, reason: 'ragged_row' } });
  });

  it('refuses a header with an unknown column, naming it', async () => {
    const error = await importFails('subject,purpose,colour,regime,kind,channel,source,collectedAt\n');
    expect(error.code).toBe('ACCORD_ERR_IMPORT_HEADER');
    expect(error.extensions).toMatchObject({ row: 1, column: 3, field: 'colour' });
  });

  it('in lenient mode reports bad rows with row and column and imports the rest', async () => {
    const rows = [
      header,
      grantRow('lenient-1', 'member-8', 7),
      'lenient-2,member-9,marketing.sms,pipl', // ragged
      grantRow('lenient-3', 'member-10', 8).replace(',pipl,', ',hipaa,'), // unknown regime
      grantRow('lenient-4', 'member-11', 9).replace(at(9), '2024-07-01T12:00:00'), // no offset
      grantRow('lenient-5', 'member-12', 10).replace('marketing.sms', 'marketing.fax'), // ledger: unknown purpose
      grantRow('lenient-6', 'member-13', 11).replace(',1,zh-CN,', ',7,zh-CN,'), // unknown notice version
      grantRow('lenient-7', 'member-14', 12),
    ];
    const bytes = Buffer.concat([Buffer.from(rows.join('\n')), Buffer.from('\nlenient-8,member-15,marketing.sms,pipl,refused,,,,ap'), Buffer.from([0xff]), Buffer.from(`p,web,${at(13)}\n`)]);
    const before = await eventCount();
    const summary = await importFile(bytes, { mode: 'lenient', encoding: 'utf-8' });
    expect(summary).toMatchObject({ status: 'completed', rowsRead: 8, appended: 2, skipped: 6 });
    expect(await eventCount()).toBe(before + 2);
    const issues = await issuesOf(summary);
    expect(issues.map(({ row, column, field, reason }) => ({ row, column, field, reason }))).toEqual([
      { row: 3, column: 5, field: undefined, reason: 'ragged_row' },
      { row: 4, column: 4, field: 'regime', reason: 'invalid_value' },
      { row: 5, column: 11, field: 'collectedAt', reason: 'time_without_offset' },
      { row: 6, column: 3, field: 'purpose', reason: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' },
      { row: 7, column: 6, field: 'noticeId', reason: 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE' },
      { row: 9, column: 9, field: 'channel', reason: 'encoding' },
    ]);
    expect(issues.every((issue) => issue.severity === 'error')).toBe(true);
  });

  it('dry-runs against the ledger (purposes, notices) and writes nothing to it', async () => {
    const text = [header, grantRow('dry-1', 'member-16', 14), grantRow('dry-2', 'member-17', 15).replace('marketing.sms', 'marketing.fax')].join('\n');
    const before = await eventCount();
    const stateBefore = await inTenant((trx) => trx.selectFrom('consent_state').selectAll().execute());
    const dry = await importFile(text, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, status: 'completed', appended: 1, skipped: 1, error: { row: 3, column: 3, reason: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' } });
    expect(await eventCount()).toBe(before);
    expect(await inTenant((trx) => trx.selectFrom('consent_state').selectAll().execute())).toEqual(stateBefore);
    // The ledger's tombstone check runs in a dry run too: an erased subject is not brought back.
    await inTenant((trx) => addTombstones(trx, [{ hash: subjectTombstone(tenant.id, 'erased-1'), kind: 'subject' }], randomUUID()));
    const erased = await importFile([header, grantRow('dry-3', 'erased-1', 16)].join('\n'), { dryRun: true, mode: 'lenient' });
    expect(erased).toMatchObject({ appended: 0, skipped: 1 });
    expect((await issuesOf(erased)).map(({ row, column, reason }) => ({ row, column, reason }))).toEqual([{ row: 2, column: 2, reason: 'ACCORD_ERR_CONSENT_SUPPRESSED' }]);
    expect(await eventCount()).toBe(before);
    // The dry run does not claim the file: the real import of it happens, and stops where it said.
    const real = await importFile(text).then(() => undefined, (e: ImportError) => e);
    expect(real?.extensions).toMatchObject({ row: 3, reason: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' });
    expect(real?.extensions.importId).not.toBe(dry.id);
  });

  it('reports conflicts within the file, with the ledger, and rows that change nothing', async () => {
    await inTenant((trx) =>
      recordConsentEvent(trx, { clientEventId: 'crm-1', subject: 'member-20', purpose: sms.key, regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'crm', collectedAt: new Date(at(30)) }),
    );
    const refusal = (id: string, subject: string, time: string, kind = 'refused') => `${id},${subject},marketing.sms,pipl,${kind},,,,app,crm,${time}`;
    const text = [
      header,
      refusal('crm-1', 'member-20', at(30)), // same id as the ledger's grant, other content
      refusal('crm-2', 'member-21', at(31)),
      refusal('crm-2', 'member-21', at(31), 'withdrawn'), // same id as row 3, other content
      refusal('', 'member-22', at(32)),
      grantRow('', 'member-22', 32), // same subject, purpose and time as row 5, other kind
      refusal('', 'member-20', '2023-05-01T08:00:00+08:00'), // older than the ledger's grant
      refusal('crm-2', 'member-21', at(31)), // exact repeat of row 3
    ].join('\n');
    const summary = await importFile(text, { mode: 'lenient' });
    expect(summary).toMatchObject({ appended: 4, duplicates: 1, skipped: 2, conflicts: 3, unchanged: 2 });
    const issues = await issuesOf(summary);
    expect(issues.map(({ row, column, severity, reason, field }) => ({ row, column, severity, reason, field }))).toEqual([
      { row: 2, column: 1, severity: 'error', reason: 'ledger_conflict', field: 'clientEventId' },
      { row: 4, column: 1, severity: 'error', reason: 'file_conflict', field: 'clientEventId' },
      { row: 6, column: 5, severity: 'warning', reason: 'file_conflict', field: 'kind' },
      { row: 6, column: 11, severity: 'warning', reason: 'no_state_change', field: 'collectedAt' },
      { row: 7, column: 11, severity: 'warning', reason: 'no_state_change', field: 'collectedAt' },
    ]);
    expect(issues[1]!.detail).toBe('clientEventId is also used by row 3 with other content');
    expect(issues[2]!.detail).toBe('row 5 records refused for the same subject, purpose, recipient, regime and time; both are kept and a denial wins the tie');
    expect(issues[3]!.detail).toMatch(/^recorded, but the current decision \(refused collected .*\) stays/);
    expect(issues[4]!.detail).toMatch(/^recorded, but the current decision \(given collected .*\) stays/);
  });

  it('appends nothing when the same file is imported again, and derives the same ids', async () => {
    const text = [header, grantRow('', 'member-30', 40), grantRow('', 'member-31', 41), grantRow('', 'member-31', 41)].join('\n');
    const first = await importFile(text);
    expect(first).toMatchObject({ status: 'completed', appended: 2, duplicates: 1 });
    const count = await eventCount();
    const again = await importFile(text);
    expect(again).toEqual(first);
    expect(await eventCount()).toBe(count);
    const ids = await inTenant((trx) => trx.selectFrom('consent_events').select('client_event_id').where('subject', 'in', ['member-30', 'member-31']).execute());
    expect(ids).toHaveLength(2);
    for (const { client_event_id } of ids) expect(client_event_id).toMatch(new RegExp(`^import:${first.id}:[0-9a-f]{32}$`));
    // Same file, other reading of it: refused rather than imported twice.
    await expect(importFile(text, { timeZone: 'Asia/Shanghai' })).rejects.toMatchObject({ code: 'ACCORD_ERR_IMPORT_OPTIONS' });
  });

  it('resumes after the last committed chunk when a run dies, without duplicates', async () => {
    const text = [header, ...Array.from({ length: 7 }, (_, i) => grantRow(`resume-${i}`, `member-4${i}`, 50 + i))].join('\n');
    const before = await eventCount();
    const crash = new AbortController();
    const interrupted = await importFile(text, { chunkSize: 2, signal: crash.signal, onChunk: (progress) => progress.lastCommittedRow >= 5 && crash.abort() });
    expect(interrupted).toMatchObject({ status: 'running', lastCommittedRow: 5, appended: 4 });
    expect(await eventCount()).toBe(before + 4);
    const resumed = await importFile(text, { chunkSize: 2 });
    expect(resumed).toMatchObject({ id: interrupted.id, status: 'completed', lastCommittedRow: 8, rowsRead: 7, appended: 7, duplicates: 0 });
    expect(await eventCount()).toBe(before + 7);
  });

  it('keeps the chunks before a strict failure, and a lenient re-run resumes after them', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => grantRow(`partial-${i}`, `member-5${i}`, 60 + i));
    rows[4] = rows[4]!.replace(',pipl,', ',nowhere,'); // row 6, in the third chunk
    const text = [header, ...rows].join('\n');
    const before = await eventCount();
    const stopped = await importFails(text, { chunkSize: 2 });
    expect(stopped.extensions).toMatchObject({ row: 6, lastCommittedRow: 5 });
    expect(await eventCount()).toBe(before + 4);
    const resumed = await importFile(text, { chunkSize: 2, mode: 'lenient' });
    expect(resumed).toMatchObject({ id: stopped.extensions.importId, status: 'completed', mode: 'lenient', appended: 5, skipped: 1, error: null });
    expect(await eventCount()).toBe(before + 5);
    expect((await issuesOf(resumed)).map((issue) => issue.row)).toEqual([6]);
  });

  it('imports NDJSON with nested evidence and refuses unknown fields per line', async () => {
    const line = (id: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ clientEventId: id, subject: 'member-60', purpose: sms.key, regime: 'pipl', kind: 'given', noticeId: notice.id, channel: 'app', source: 'h5', collectedAt: at(70), evidence: { formId: 'f-1' }, ...extra });
    const text = `${line('nd-1')}\n\n${line('nd-2', { colour: 'red' })}\r\n{not json\n`;
    const summary: ImportSummary = await importFile(text, { format: 'ndjson', mode: 'lenient' });
    expect(summary).toMatchObject({ appended: 1, skipped: 2 });
    expect((await issuesOf(summary)).map(({ row, reason, field }) => ({ row, reason, field }))).toEqual([
      { row: 3, reason: 'unknown_field', field: 'colour' },
      { row: 4, reason: 'invalid_json', field: undefined },
    ]);
    const stored = await inTenant((trx) => trx.selectFrom('consent_events').select('evidence').where('client_event_id', '=', 'nd-1').executeTakeFirstOrThrow());
    expect(stored.evidence).toEqual({ formId: 'f-1' });
  });

  it('exports more events than a page, in order, each with links that recompute the chain', async () => {
    const upTo = await exportHead(t.db, tenant.id);
    expect(upTo).toBeGreaterThan(10);
    const seen: number[] = [];
    for await (const { event, previousLink, link } of exportConsentEvents(t.db, tenant.id, upTo, {}, 3)) {
      seen.push(event.seq);
      expect(Buffer.from(chainLink(previousLink!, consentEventRecord(event))).equals(Buffer.from(link))).toBe(true);
    }
    expect(seen).toEqual(Array.from({ length: upTo }, (_, i) => i + 1));
    const refusals: string[] = [];
    for await (const { event } of exportConsentEvents(t.db, tenant.id, upTo, { purpose: sms.key, from: new Date(0) }, 2)) refusals.push(event.purpose);
    expect(refusals.length).toBe(upTo);
    const none: unknown[] = [];
    for await (const exported of exportConsentEvents(t.db, tenant.id, upTo, { purpose: 'marketing.fax' }, 2)) none.push(exported);
    expect(none).toEqual([]);
  });
});
