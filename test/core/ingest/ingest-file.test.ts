import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { identifierTombstone } from '../../../consent/suppression-hash.ts';
import { withTenant, type TenantTransaction } from '../../../core/db/tenant-scope.ts';
import { sha256Hex } from '../../../core/identifiers/identifier-hashes.ts';
import { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { openIdentifiers } from '../../../core/identifiers/identifier-store.ts';
import { ingestFile, type IngestFileOptions } from '../../../core/ingest/ingest-file.ts';
import type { IngestKind } from '../../../core/ingest/ingest-columns.ts';
import { findRun, runIssuesPage } from '../../../core/ingest/ingest-runs.ts';
import { DEFAULT_MAX_LINE_LENGTH } from '../../../core/files/line-length-cap.ts';
import { addTombstones } from '../../../core/privacy/suppression.ts';
import { ensureTenant, type Tenant } from '../../../core/tenancy/tenants.ts';
import { encodeGb18030 } from '../../support/gb18030.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../../support/test-database.ts';

const keys = new IdentifierKeys(new Uint8Array(32).fill(7));

describe.each(storageBackends)('ingest of members, orders and events files on %s', (backend) => {
  let t: TestDatabase;
  let dir: string;
  let tenant: Tenant;
  let n = 0;
  const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(t.db, tenant.id, work);
  const file = async (content: string | Uint8Array, extension = 'csv') => {
    const path = join(dir, `f${++n}.${extension}`);
    await writeFile(path, content);
    return path;
  };
  const ingest = (kind: IngestKind, path: string, options: Partial<IngestFileOptions> = {}) =>
    ingestFile(t.db, keys, tenant.id, kind, path, { format: path.endsWith('.ndjson') ? 'ndjson' : 'csv', actor: 'test', ...options });
  const issuesOf = (runId: string) => inTenant(async (trx) => (await runIssuesPage(trx, runId, 0, 1_000)).map(({ id: _id, ...issue }) => issue));
  const count = (table: 'persons' | 'identifiers' | 'person_attributes' | 'orders' | 'order_items' | 'behaviour_events') =>
    inTenant(async (trx) => Number((await trx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
  const attributesOf = (key: string) =>
    inTenant(async (trx) => (await trx.selectFrom('person_attributes').select(['person_id', 'value']).where('key', '=', key).orderBy('person_id').execute()).map((r) => [Number(r.person_id), r.value]));

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    dir = await mkdtemp(join(tmpdir(), 'ingest-test-'));
  });
  afterAll(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    tenant = await ensureTenant(t.db, `brand-${++n}`);
  });

  it('ingests members with identifiers and attributes, one person per row, and the same file again changes nothing', async () => {
    const path = await file(['email,phone,wechat_openid@wx01,attr.city,attr.level,member_id', 'a@example.com,13800138000,oA1,上海,gold,M1', 'B@Example.com,+86 139-0013-9000,,北京,,M2'].join('\r\n'));
    const run = await ingest('members', path);
    expect(run).toMatchObject({ status: 'completed', kind: 'members', rowsRead: 2, applied: 2, rejected: 0, personsCreated: 2, personsMerged: 0, lastCommittedRow: 3 });
    expect(await count('identifiers')).toBe(5);
    expect((await attributesOf('city')).map(([, value]) => value)).toEqual(['上海', '北京']);
    expect((await attributesOf('member_id')).map(([, value]) => value)).toEqual(['M1', 'M2']);
    expect(await attributesOf('level')).toHaveLength(1);

    const again = await ingest('members', path);
    expect(again).toEqual(run);
    expect(await count('persons')).toBe(2);
  });

  it('reports invalid emails and phones with row and column in lenient mode, and keeps the valid rows', async () => {
    const path = await file(['attr.city,email,phone', 'x,good@example.com,13800138001', 'y,not-an-email,13800138002', 'z,ok@example.com,1.38001E+10', 'w,,'].join('\n'));
    const run = await ingest('members', path, { mode: 'lenient' });
    expect(run).toMatchObject({ status: 'completed', rowsRead: 4, applied: 1, rejected: 3 });
    expect(await issuesOf(run.id)).toEqual([
      { row: 3, line: 3, column: 2, field: 'email', reason: 'email_at_sign', detail: 'The email address needs exactly one @' },
      { row: 4, line: 4, column: 3, field: 'phone', reason: 'phone_excel_scientific', detail: expect.stringContaining('scientific notation') },
      { row: 5, line: 5, reason: 'no_identifier', detail: 'the row has no identifier, so it cannot be matched to anyone' },
    ]);
    expect(await count('persons')).toBe(1);
  });

  it('stops a strict run at the first invalid row after committing the rows before it, and a lenient re-run resumes there', async () => {
    const rows = Array.from({ length: 6 }, (_, i) => `m${i}@example.com,${i === 3 ? '12345' : `1380013801${i}`}`);
    const path = await file(['email,phone', ...rows].join('\n'));
    const failure = await ingest('members', path, { chunkSize: 2 }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ACCORD_ERR_IMPORT_ROW', extensions: { row: 5, column: 2, field: 'phone', lastCommittedRow: 4 } });
    expect(await count('persons')).toBe(3);

    const resumed = await ingest('members', path, { mode: 'lenient', chunkSize: 2 });
    expect(resumed).toMatchObject({ id: (failure as { extensions: { runId: string } }).extensions.runId, status: 'completed', rowsRead: 6, applied: 5, rejected: 1, lastCommittedRow: 7 });
    expect(await count('persons')).toBe(5);
    expect((await issuesOf(resumed.id)).map((issue) => [issue.row, issue.reason])).toEqual([[5, 'phone_invalid']]);
  });

  it('resumes after a stop between chunks without applying a row twice', async () => {
    const path = await file(['email,attr.n', ...Array.from({ length: 7 }, (_, i) => `r${i}@example.com,${i}`)].join('\n'));
    const controller = new AbortController();
    const stopped = await ingest('members', path, { chunkSize: 3, signal: controller.signal, onChunk: () => controller.abort() });
    expect(stopped).toMatchObject({ status: 'running', rowsRead: 3, lastCommittedRow: 4 });
    const finished = await ingest('members', path, { chunkSize: 3 });
    expect(finished).toMatchObject({ id: stopped.id, status: 'completed', rowsRead: 7, applied: 7, personsCreated: 7 });
    expect(await count('persons')).toBe(7);
    expect(await count('person_attributes')).toBe(7);
  });

  it('commits in short transactions on the embedded database, where a transaction holds its only session, and in large ones on Postgres', async () => {
    const rows = Array.from({ length: 600 }, (_, i) => `m${i}@example.com,${i}`);
    const path = await file(['email,attr.n', ...rows].join('\n'));
    const committed: number[] = [];
    const run = await ingest('members', path, { onChunk: (progress) => committed.push(progress.lastCommittedRow) });
    expect(run).toMatchObject({ status: 'completed', rowsRead: 600, applied: 600, personsCreated: 600, lastCommittedRow: 601 });
    // Rows are counted from the header (row 1).
    expect(committed).toEqual(backend === 'pglite' ? [251, 501, 601] : [601]);
    expect(await count('persons')).toBe(600);
  });

  it('reports ragged rows, broken quoting and undecodable bytes, and reads GBK files', async () => {
    const lines = ['email,attr.city', 'a@example.com,上海', 'b@example.com,x,extra', 'c@example.com,"open', ''];
    const gbk = encodeGb18030(lines.slice(0, 2).join('\n'));
    const gbkRun = await ingest('members', await file(gbk));
    expect(gbkRun).toMatchObject({ encoding: 'gb18030', applied: 1 });
    expect(await attributesOf('city')).toEqual([[expect.any(Number), '上海']]);

    const run = await ingest('members', await file(lines.join('\n')), { mode: 'lenient' });
    expect((await issuesOf(run.id)).map((issue) => [issue.row, issue.reason, issue.detail])).toEqual([
      [3, 'ragged_row', 'the row has 3 columns, the header 2'],
      [4, 'malformed_row', 'column 2 opens a quote that never closes'],
    ]);

    const mangled = await ingest('members', await file(encodeGb18030(`${lines.slice(0, 2).join('\n')}\n`)), { encoding: 'utf-8', mode: 'lenient' });
    expect(await issuesOf(mangled.id)).toEqual([{ row: 2, line: 2, column: 2, field: 'attr.city', reason: 'undecodable_bytes', detail: expect.stringContaining('not valid in the file encoding') }]);
  });

  it('refuses a file whose header names unknown columns or no identifier', async () => {
    await expect(ingest('members', await file('emial,attr.city\nx,y'))).rejects.toMatchObject({ code: 'ACCORD_ERR_IMPORT_HEADER', message: expect.stringContaining('unknown column "emial"') });
    await expect(ingest('members', await file('wechat_openid,attr.city\nx,y'))).rejects.toMatchObject({ message: expect.stringContaining('wechat_openid@<app or shop id>') });
    await expect(ingest('orders', await file('email,order_id\na@example.com,1'))).rejects.toMatchObject({ message: expect.stringContaining('needs the columns placed_at, amount') });
    expect(await count('persons')).toBe(0);
  });

  it('seals in a worker thread with the same outcome: identifiers that open to their canonical values and are found again', async () => {
    const path = await file(['email,phone,attr.city', 'Li@Example.com,13800138000,上海', 'wang@example.com,13800138000,北京'].join('\n'));
    const run = await ingest('members', path, { sealInWorker: true, chunkSize: 1 });
    expect(run).toMatchObject({ status: 'completed', rowsRead: 2, applied: 2, personsCreated: 1 });
    const values = await inTenant(async (trx) => {
      const ids = (await trx.selectFrom('identifiers').select('id').execute()).map((row) => Number(row.id));
      return [...(await openIdentifiers(trx, keys, ids)).values()].map((identifier) => `${identifier.type}:${identifier.value}`).sort();
    });
    expect(values).toEqual(['email:li@example.com', 'email:wang@example.com', 'phone:+8613800138000']);
    const again = await ingest('members', await file(['email,attr.level', 'li@example.com,gold'].join('\n')));
    expect(again).toMatchObject({ applied: 1, personsCreated: 0 });
  });

  it('fails the run at a record longer than the line cap, keeping the chunks committed before it', async () => {
    const long = `"${'x'.repeat(DEFAULT_MAX_LINE_LENGTH)}"`;
    const rows = ['a@example.com,1', 'b@example.com,2', 'c@example.com,3', `d@example.com,${long}`, 'e@example.com,5'];
    const path = await file(['email,attr.n', ...rows].join('\n'));
    const failure = await ingest('members', path, { mode: 'lenient', chunkSize: 2 }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'ACCORD_ERR_IMPORT_LINE_TOO_LONG', extensions: { row: 5, line: 5, lastCommittedRow: 3, runId: expect.any(String) } });
    const run = await inTenant((trx) => findRun(trx, (failure as { extensions: { runId: string } }).extensions.runId));
    expect(run).toMatchObject({ status: 'failed', rowsRead: 2, applied: 2, lastCommittedRow: 3, error: { row: 5, line: 5, reason: 'line_too_long' } });
    expect(await count('persons')).toBe(2);

    const ndjson = await file(['{"email":"f@example.com"}', `{"email":"g@example.com","attr.n":${long}}`].join('\n'), 'ndjson');
    await expect(ingest('members', ndjson)).rejects.toMatchObject({ code: 'ACCORD_ERR_IMPORT_LINE_TOO_LONG', extensions: { line: 2, lastCommittedRow: 0 } });
    expect(await count('persons')).toBe(2);
  });

  it('refuses rows of an erased person and stores none of their identifiers', async () => {
    await inTenant((trx) =>
      addTombstones(trx, [{ hash: identifierTombstone(tenant.id, { type: 'email_sha256', hash: sha256Hex('gone@example.com') }), kind: 'email_sha256' }], '00000000-0000-4000-8000-000000000001'),
    );
    const run = await ingest('members', await file('phone,email\n13800138005,GONE@example.com\n13800138006,kept@example.com'));
    expect(run).toMatchObject({ status: 'completed', applied: 1, rejected: 1 });
    expect(await issuesOf(run.id)).toEqual([{ row: 2, line: 2, column: 2, field: 'email', reason: 'suppressed', detail: expect.stringContaining('erased') }]);
    expect(await count('identifiers')).toBe(2);
  });

  it('joins raw and declared-hash identifiers seen in one row, and refuses a raw value in a hash column', async () => {
    const phoneHash = sha256Hex('+8613800138007');
    const first = await ingest('members', await file(`email,phone_sha256,attr.a\nmix@example.com,${phoneHash.toUpperCase()},1`));
    const second = await ingest('members', await file(`phone_sha256,attr.b\n${phoneHash},2`));
    expect([first.personsCreated, second.personsCreated]).toEqual([1, 0]);
    expect(await count('persons')).toBe(1);
    const bad = await ingest('members', await file('email_sha256\nmix@example.com'), { mode: 'lenient' });
    expect((await issuesOf(bad.id)).map((issue) => [issue.field, issue.reason])).toEqual([['email_sha256', 'hash_not_hex']]);
  });

  it('attaches orders with exact amounts and items, and moves them to the survivor when their person merges', async () => {
    await ingest('members', await file('wechat_unionid@open1,attr.level\nU1,gold'));
    const orders = await file(
      [
        'order_id,placed_at,amount,currency,channel,status,email,items',
        `O1,2024-06-18T20:15:00+08:00,199.90,cny,tmall,paid,buyer@example.com,"[{""sku"":""S1"",""quantity"":2,""amount"":""99.95""}]"`,
        'O2,2024-06-19 10:00:00+0800,0.10,CNY,store,refunded,buyer@example.com,',
        'O3,2024-06-19 10:00:00,12.345,CNY,store,lost,buyer@example.com,',
      ].join('\n'),
    );
    const run = await ingest('orders', orders, { mode: 'lenient' });
    expect(run).toMatchObject({ applied: 2, rejected: 1 });
    expect((await issuesOf(run.id)).map((issue) => [issue.field, issue.reason])).toEqual([
      ['placed_at', 'invalid_time'],
      ['amount', 'invalid_amount'],
      ['status', 'invalid_status'],
    ]);
    const stored = await inTenant((trx) => trx.selectFrom('orders').select(['external_id', 'amount', 'currency', 'placed_at', 'person_id']).orderBy('external_id').execute());
    expect(stored.map((o) => [o.external_id, String(o.amount), o.currency, new Date(o.placed_at).toISOString()])).toEqual([
      ['O1', '199.90', 'CNY', '2024-06-18T12:15:00.000Z'],
      ['O2', '0.10', 'CNY', '2024-06-19T02:00:00.000Z'],
    ]);
    expect(await count('order_items')).toBe(1);

    const merge = await ingest('members', await file('email,wechat_unionid@open1\nbuyer@example.com,U1'));
    expect(merge.personsMerged).toBe(1);
    const [survivor] = await inTenant((trx) => trx.selectFrom('persons').select('id').where('merged_into', 'is', null).execute());
    const owners = await inTenant((trx) => trx.selectFrom('orders').select('person_id').execute());
    expect(owners.map((o) => Number(o.person_id))).toEqual([Number(survivor!.id), Number(survivor!.id)]);
    expect(await count('persons')).toBe(2);

    expect(await ingest('orders', orders, { mode: 'lenient' })).toEqual(run);
  });

  it('ingests NDJSON events with properties, once per event id', async () => {
    const lines = [
      JSON.stringify({ event_id: 'E1', type: 'page.view', occurred_at: '2024-06-18T12:00:00Z', channel: 'app', properties: { page: '/home' }, idfa: '6D92078A-8246-4BA4-AE5B-76104861E7DC' }),
      JSON.stringify({ event_id: 'E1', type: 'page.view', occurred_at: '2024-06-18T12:00:00Z', channel: 'app', idfa: '6D92078A-8246-4BA4-AE5B-76104861E7DC' }),
      '{not json',
      JSON.stringify({ event_id: 'E2', type: 'Bad Type', occurred_at: '2024-06-18T12:00:00Z', channel: 'app', email: 'e@example.com' }),
      JSON.stringify({ event_id: 'E3', type: 'cart.add', occurred_at: '2024-06-18T12:00:00Z', channel: 'mini', 'wechat_openid@wx9': 'o9', colour: 'red' }),
    ];
    const run = await ingest('events', await file(lines.join('\n'), 'ndjson'), { mode: 'lenient' });
    expect(run).toMatchObject({ rowsRead: 5, applied: 2, rejected: 3 });
    expect((await issuesOf(run.id)).map((issue) => [issue.row, issue.field, issue.reason])).toEqual([
      [3, undefined, 'invalid_json'],
      [4, 'type', 'invalid_event_type'],
      [5, 'colour', 'unknown_field'],
    ]);
    const events = await inTenant((trx) => trx.selectFrom('behaviour_events').select(['external_id', 'properties']).execute());
    expect(events).toEqual([{ external_id: 'E1', properties: { page: '/home' } }]);
  });
});
