import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConsentGate } from '../../../core/consent/consent-gate.ts';
import { publishNotice } from '../../../core/consent/notices.ts';
import { profilingConsent } from '../../../core/consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../../../core/consent/profiling-purpose.ts';
import { definePurpose } from '../../../core/consent/purposes.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { ingestBatch } from '../../../core/ingest/ingest-batch.ts';
import { ingestFile, type IngestFileOptions } from '../../../core/ingest/ingest-file.ts';
import { runIssuesPage } from '../../../core/ingest/ingest-runs.ts';
import { setFirstPartyRegime } from '../../../core/tenancy/first-party-regime.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const keys = new IdentifierKeys(new Uint8Array(32).fill(7));
const HEADER = 'email,attr.city,consent.purpose,consent.noticeKey,consent.noticeVersion,consent.noticeLanguage,consent.collectedAt,consent.channel,consent.evidence.formId';
/** A sign-up just now: a consent cannot predate the notice version it cites, published in each test's setup. */
const signedUp = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 60_000).toISOString();

describe.each(storageBackends)('registration consents brought with members on %s', (backend) => {
  let t: TestDatabase;
  let dir: string;
  let tenant: Tenant;
  let n = 0;
  const gate = new ConsentGate();
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const file = async (lines: string[], extension = 'csv') => {
    const path = join(dir, `f${++n}.${extension}`);
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  };
  const ingest = (path: string, options: Partial<IngestFileOptions> = {}) => ingestFile(t.db, keys, tenant.id, 'members', path, { format: path.endsWith('.ndjson') ? 'ndjson' : 'csv', actor: 'test', ...options });
  const issuesOf = (runId: string) => inTenant(async (trx) => (await runIssuesPage(trx, runId, 0, 1_000)).map(({ row, column, field, reason }) => ({ row, column, field, reason })));
  const events = () => inTenant((trx) => trx.selectFrom('consent_events').select(['client_event_id', 'subject', 'purpose', 'regime', 'kind', 'channel', 'source', 'collected_at', 'evidence']).orderBy('seq').execute());
  const count = (table: 'persons' | 'identifiers' | 'person_attributes') => inTenant(async (trx) => Number((await trx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
  const allowed = () => inTenant(async (trx) => (await profilingConsent(trx, gate, 'all live persons', { activity: 'test', actor: 'test' })).size);

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    dir = await mkdtemp(join(tmpdir(), 'registration-consents-'));
  });
  afterAll(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    tenant = await ensureTenant(t.db, `brand-${++n}`);
    await inTenant(async (trx) => {
      await definePurpose(trx, { key: 'marketing.sms', name: 'SMS offers', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false });
      await publishNotice(trx, { noticeKey: 'member-terms', language: 'zh-CN', content: '会员条款', purposes: [PROFILING_PURPOSE], recipients: [], dataCategories: ['orders'] });
    });
  });

  it('records each member’s consent through the ledger under its person, in the same run, and the gate then allows them', async () => {
    const SIGNED_UP = signedUp();
    const path = await file([
      HEADER,
      `a@example.com,上海,${PROFILING_PURPOSE},member-terms,1,zh-CN,${SIGNED_UP},wechat-mini-program,signup-v3`,
      'b@example.com,北京,,,,,,,',
      `c@example.com,杭州,${PROFILING_PURPOSE},member-terms,1,zh-CN,${SIGNED_UP},store,`,
    ]);
    const run = await ingest(path);
    expect(run).toMatchObject({ status: 'completed', rowsRead: 3, applied: 3, rejected: 0 });
    const persons = await inTenant((trx) => trx.selectFrom('persons').select('id').orderBy('id').execute());
    expect(await events()).toEqual([
      { client_event_id: `ingest:${run.id}:row:2`, subject: `person:${persons[0]!.id}`, purpose: PROFILING_PURPOSE, regime: 'pipl', kind: 'given', channel: 'wechat-mini-program', source: `ingest:${run.id}`, collected_at: new Date(SIGNED_UP), evidence: { formId: 'signup-v3' } },
      { client_event_id: `ingest:${run.id}:row:4`, subject: `person:${persons[2]!.id}`, purpose: PROFILING_PURPOSE, regime: 'pipl', kind: 'given', channel: 'store', source: `ingest:${run.id}`, collected_at: new Date(SIGNED_UP), evidence: {} },
    ]);
    // Under PIPL the member who brought no consent is not profiled.
    expect(await allowed()).toBe(2);
    expect(await ingest(path)).toEqual(run);
    expect(await events()).toHaveLength(2);
  });

  it('refuses a row whose consent is malformed or refused by the ledger, writing nothing of it, and goes on in lenient mode', async () => {
    const SIGNED_UP = signedUp();
    const path = await file([
      HEADER,
      `ok@example.com,上海,${PROFILING_PURPOSE},member-terms,1,zh-CN,${SIGNED_UP},app,`,
      `notime@example.com,上海,${PROFILING_PURPOSE},member-terms,1,zh-CN,2026-03-01 10:00,app,`,
      `nonotice@example.com,上海,${PROFILING_PURPOSE},member-terms,7,zh-CN,${SIGNED_UP},app,`,
      `scope@example.com,上海,marketing.sms,member-terms,1,zh-CN,${SIGNED_UP},app,`,
      `nochannel@example.com,上海,${PROFILING_PURPOSE},member-terms,1,zh-CN,${SIGNED_UP},,`,
      `early@example.com,上海,${PROFILING_PURPOSE},member-terms,1,zh-CN,2025-12-01T00:00:00Z,app,`,
    ]);
    const run = await ingest(path, { mode: 'lenient' });
    expect(run).toMatchObject({ status: 'completed', rowsRead: 6, applied: 1, rejected: 5 });
    expect(await issuesOf(run.id)).toEqual([
      { row: 3, column: 7, field: 'consent.collectedAt', reason: 'time_without_offset' },
      { row: 4, column: 4, field: 'consent.noticeKey', reason: 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE' },
      { row: 5, column: 4, field: 'consent.noticeKey', reason: 'ACCORD_ERR_CONSENT_NOTICE_SCOPE' },
      { row: 6, column: 8, field: 'consent.channel', reason: 'invalid_consent' },
      { row: 7, column: 7, field: 'consent.collectedAt', reason: 'ACCORD_ERR_CONSENT_COLLECTED_AT' },
    ]);
    expect([await count('persons'), await count('identifiers'), await count('person_attributes')]).toEqual([1, 1, 1]);
    expect(await events()).toHaveLength(1);
  });

  it('stops a strict run at a refused consent, committing the rows before it with their consents, and a lenient re-run resumes there', async () => {
    const SIGNED_UP = signedUp();
    const rows = Array.from({ length: 5 }, (_, i) => `m${i}@example.com,上海,${PROFILING_PURPOSE},member-terms,${i === 3 ? 9 : 1},zh-CN,${SIGNED_UP},app,`);
    const path = await file([HEADER, ...rows]);
    const failure = await ingest(path, { chunkSize: 10 }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ACCORD_ERR_IMPORT_ROW', extensions: { row: 5, field: 'consent.noticeKey', reason: 'ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', lastCommittedRow: 4 } });
    expect([await count('persons'), (await events()).length]).toEqual([3, 3]);
    const resumed = await ingest(path, { mode: 'lenient', chunkSize: 10 });
    expect(resumed).toMatchObject({ status: 'completed', rowsRead: 5, applied: 4, rejected: 1, lastCommittedRow: 6 });
    expect([await count('persons'), (await events()).length]).toEqual([4, 4]);
  });

  it('refuses unknown consent columns, and consent columns outside a members file', async () => {
    const SIGNED_UP = signedUp();
    await expect(ingest(await file(['email,consent.colour', 'a@example.com,red']))).rejects.toMatchObject({ code: 'ACCORD_ERR_IMPORT_HEADER', message: expect.stringContaining('unknown consent column "consent.colour"') });
    await expect(ingestFile(t.db, keys, tenant.id, 'events', await file(['email,event_id,type,occurred_at,channel,consent.purpose', `a@example.com,e1,page.view,${SIGNED_UP},app,x`]), { format: 'csv', actor: 'test' })).rejects.toMatchObject({
      message: expect.stringContaining('consent columns (consent.purpose) belong in a members file'),
    });
    expect(await count('persons')).toBe(0);
  });

  it('takes the same fields in NDJSON and JSON batches, under the tenant’s first-party regime unless a row names one', async () => {
    await setFirstPartyRegime(t.db, tenant.id, 'ccpa', 'test');
    const SIGNED_UP = signedUp();
    const record = (email: string, extra: Record<string, unknown> = {}) => ({ email, 'consent.purpose': PROFILING_PURPOSE, 'consent.noticeKey': 'member-terms', 'consent.noticeVersion': 1, 'consent.noticeLanguage': 'zh-CN', 'consent.collectedAt': SIGNED_UP, 'consent.channel': 'app', ...extra });
    const batch = await ingestBatch(t.db, keys, tenant.id, 'members', [record('a@example.com'), record('b@example.com', { 'consent.kind': 'refused', 'consent.regime': 'pipl', 'consent.source': 'crm-export' })], { actor: 'test' });
    expect(batch).toMatchObject({ status: 'completed', applied: 2 });
    const ndjson = await ingest(await file([JSON.stringify(record('c@example.com', { 'consent.subjectIsMinor': true }))], 'ndjson'), { mode: 'lenient' });
    expect(await issuesOf(ndjson.id)).toEqual([{ row: 1, column: undefined, field: 'consent.kind', reason: 'ACCORD_ERR_CONSENT_MINOR' }]);
    expect((await events()).map((e) => [e.regime, e.kind, e.source])).toEqual([
      ['ccpa', 'given', `ingest:${batch.id}`],
      ['pipl', 'refused', 'crm-export'],
    ]);
  });
});
