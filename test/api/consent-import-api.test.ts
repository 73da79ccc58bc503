import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentEventRecord, type ConsentEvent } from '../../consent/consent-event.ts';
import { chainLink } from '../../crypto/hash-chain.ts';
import { csvRecords } from '../../core/files/csv-records.ts';
import { ApiError } from '../../api/errors.ts';
import { spoolUpload } from '../../api/spooled-upload.ts';
import { encodeGb18030 } from '../support/gb18030.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

const header = 'clientEventId,subject,purpose,regime,kind,noticeId,channel,source,collectedAt';

async function csvOf(text: string): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const record of csvRecords((async function* () { yield text; })())) rows.push(record.fields);
  return rows;
}

describe.each(storageBackends)('consent import and export API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let officer: string;
  let auditor: string;
  let noticeId: string;
  let time: (seconds: number) => string;

  const upload = (body: string | Uint8Array, type: string, query = '', token = officer) =>
    api.app.inject({ method: 'POST', url: `/v1/consent/imports${query}`, payload: Buffer.from(body), headers: { ...bearer(token), 'content-type': type } });
  const get = (url: string, token: string) => api.app.inject({ method: 'GET', url, headers: bearer(token) });
  const row = (id: string, subject: string, seconds: number, channel = 'app', source = 'crm') => `${id},${subject},marketing.sms,pipl,given,${noticeId},${channel},${source},${time(seconds)}`;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    officer = (await api.keyFor('brand', ['privacy:admin'])).token;
    auditor = (await api.keyFor('brand', ['audit:read'])).token;
    const post = (url: string, body: object) => api.app.inject({ method: 'POST', url, payload: body, headers: bearer(officer) });
    expect((await post('/v1/consent/purposes', { key: 'marketing.sms', name: 'SMS', mechanism: 'opt_in', legalBasis: { pipl: 'consent' } })).statusCode).toBe(201);
    const notice = await post('/v1/consent/notices', { noticeKey: 'sms', language: 'zh-CN', content: '营销短信', purposes: ['marketing.sms'] });
    noticeId = notice.json().id;
    const published = Date.now() + 1_000;
    time = (seconds) => new Date(published + seconds * 1_000).toISOString();
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('imports a GBK CSV declared by charset, and the same file again appends nothing', async () => {
    const body = encodeGb18030([header, row('api-1', 'member-1', 1, '微信', '门店'), row('api-2', 'member-2', 2, '短信', '"活动,现场"')].join('\r\n'));
    const first = await upload(body, 'text/csv; charset=GBK');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ status: 'completed', encoding: 'gb18030', appended: 2, dryRun: false });
    const again = await upload(body, 'text/csv; charset=gbk');
    expect(again.json()).toEqual(first.json());
    const status = await get(`/v1/consent/imports/${first.json().id}`, officer);
    expect(status.json()).toEqual(first.json());
  });

  it('dry-runs without writing, and serves the conflict report as JSON and as CSV', async () => {
    const headBefore = (await get('/v1/consent/export', auditor)).headers['x-accord-export-head-seq'];
    const body = [header, row('api-3', 'member-3', 3), row('api-3', 'member-3', 3).replace('given', 'refused').replace(noticeId, ''), 'x,y'].join('\n');
    const dry = await upload(body, 'text/csv', '?dryRun=true&mode=lenient');
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ dryRun: true, mode: 'lenient', appended: 1, skipped: 2, conflicts: 1 });
    expect((await get('/v1/consent/export', auditor)).headers['x-accord-export-head-seq']).toBe(headBefore);

    const json = await get(`/v1/consent/imports/${dry.json().id}/issues`, officer);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json()).toEqual({
      importId: dry.json().id,
      issues: [
        { row: 3, line: 3, column: 1, field: 'clientEventId', severity: 'error', reason: 'file_conflict', detail: 'clientEventId is also used by row 2 with other content', clientEventId: 'api-3' },
        { row: 4, line: 4, column: 3, severity: 'error', reason: 'ragged_row', detail: 'the row has 2 columns, the header 9' },
      ],
    });
    const csv = await get(`/v1/consent/imports/${dry.json().id}/issues?format=csv`, officer);
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="consent-import-${dry.json().id}-issues.csv"`);
    expect(csv.body.startsWith('\uFEFFrow,line,column,field,severity,reason,detail,client_event_id\r\n')).toBe(true);
    expect((await csvOf(csv.body.slice(1)))[2]).toEqual(['4', '4', '3', '', 'error', 'ragged_row', 'the row has 2 columns, the header 9', '']);
  });

  it('stops a strict import with a problem naming the row and column', async () => {
    const response = await upload([header, row('api-4', 'member-4', 4).replace(time(4), '2024-03-10 02:30')].join('\n'), 'text/csv', '?timeZone=America/New_York');
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_IMPORT_ROW', row: 2, column: 9, field: 'collectedAt', reason: 'time_in_dst_gap', importId: expect.any(String) });
  });

  it('imports NDJSON, and refuses other bodies and scopes', async () => {
    const line = JSON.stringify({ clientEventId: 'api-5', subject: 'member-5', purpose: 'marketing.sms', regime: 'pipl', kind: 'refused', channel: 'app', source: 'h5', collectedAt: time(5) });
    const withKey = { method: 'POST' as const, url: '/v1/consent/imports', payload: `${line}\n`, headers: { ...bearer(officer), 'content-type': 'application/x-ndjson', 'idempotency-key': 'import-5' } };
    const ndjson = await api.app.inject(withKey);
    expect(ndjson.json()).toMatchObject({ format: 'ndjson', appended: 1 });
    // The body is the file's hash and size, so a retry with the key replays the answer.
    const retried = await api.app.inject(withKey);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.json()).toEqual(ndjson.json());
    const asJson = await api.app.inject({ method: 'POST', url: '/v1/consent/imports', payload: { subject: 'x' }, headers: bearer(officer) });
    expect(asJson.statusCode).toBe(415);
    // The CSV parser lives only in the import plugin: the JSON API still refuses CSV.
    const collector = (await api.keyFor('brand', ['consent:write'])).token;
    const csvElsewhere = await api.app.inject({ method: 'POST', url: '/v1/consent/events', payload: 'a,b', headers: { ...bearer(collector), 'content-type': 'text/csv' } });
    expect(csvElsewhere.statusCode).toBe(415);
    expect((await upload(`${line}\n`, 'application/x-ndjson', '', collector)).statusCode).toBe(403);
    expect((await upload(`${line}\n`, 'application/x-ndjson', '?encoding=latin1')).json().code).toBe('ACCORD_ERR_VALIDATION');
  });

  it('exports CSV with a BOM and formula cells neutralised', async () => {
    const body = [header, row('"=HYPERLINK(""http://evil.example"",""open"")"', '-2+3', 6, '+cmd|calc', '@SUM(A1)')].join('\n');
    expect((await upload(body, 'text/csv')).statusCode).toBe(201);
    const response = await get('/v1/consent/export?format=csv', officer);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.body.startsWith('\uFEFFtenant_id,seq,client_event_id,subject,')).toBe(true);
    const rows = await csvOf(response.body.slice(1));
    const hostile = rows.find((cells) => cells[2]!.includes('HYPERLINK'))!;
    expect(hostile.slice(2, 4)).toEqual(['\'=HYPERLINK("http://evil.example","open")', "'-2+3"]);
    expect(hostile.slice(9, 11)).toEqual(["'+cmd|calc", "'@SUM(A1)"]);
    expect(rows.find((cells) => cells[2] === 'api-1')!.slice(9, 11)).toEqual(['微信', '门店']);
  });

  it('exports NDJSON whose links an auditor can recompute, filtered by purpose and time', async () => {
    const response = await get('/v1/consent/export?format=ndjson', auditor);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = response.body.trim().split('\n').map((text) => JSON.parse(text));
    expect(lines.map((event) => event.seq)).toEqual(Array.from({ length: Number(response.headers['x-accord-export-head-seq']) }, (_, i) => i + 1));
    for (const { previousLink, link, ...fields } of lines) {
      const event: ConsentEvent = { ...fields, collectedAt: new Date(fields.collectedAt), receivedAt: new Date(fields.receivedAt) };
      expect(Buffer.from(chainLink(Buffer.from(previousLink, 'hex'), consentEventRecord(event))).toString('hex')).toBe(link);
    }
    const future = await get(`/v1/consent/export?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, auditor);
    expect(future.body).toBe('');
    const otherPurpose = await get('/v1/consent/export?purpose=marketing.email', auditor);
    expect(otherPurpose.body).toBe('');
  });

  it('documents the import body types in the OpenAPI document', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(document.paths['/v1/consent/imports'].post.requestBody.content)).toEqual(['text/csv', 'application/x-ndjson']);
  });

  it("refuses another tenant's export and imports, and keys without the scope", async () => {
    const outsider = (await api.keyFor('other-brand', ['privacy:admin', 'audit:read'])).token;
    const theirs = await get('/v1/consent/export', outsider);
    expect(theirs.statusCode).toBe(200);
    expect(theirs.headers['x-accord-export-head-seq']).toBe('0');
    expect(theirs.body).toBe('');
    expect(JSON.parse((await get('/v1/consent/export', auditor)).body.split('\n')[0]!).clientEventId).toBe('api-1');
    const brandImport = (await upload([header, row('api-7', 'member-7', 7)].join('\n'), 'text/csv')).json().id;
    expect((await get(`/v1/consent/imports/${brandImport}`, outsider)).statusCode).toBe(404);
    expect((await get(`/v1/consent/imports/${brandImport}/issues`, outsider)).statusCode).toBe(404);
    const reader = (await api.keyFor('brand', ['consent:read'])).token;
    expect((await get('/v1/consent/export', reader)).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/v1/consent/export' })).statusCode).toBe(401);
  });
});

describe('spooled uploads', () => {
  it('refuses a body over the limit while it streams, leaving no file behind', async () => {
    const ok = await spoolUpload(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), 16);
    expect(ok.bytes).toBe(16);
    expect(existsSync(ok.path)).toBe(true);
    await ok.remove();
    expect(existsSync(ok.path)).toBe(false);
    const spooled = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('accord-upload-')).length;
    const before = await spooled();
    const error = await spoolUpload(Readable.from([Buffer.alloc(8), Buffer.alloc(9)]), 16).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('ACCORD_ERR_PAYLOAD_TOO_LARGE');
    expect(await spooled()).toBe(before);
    await expect(spoolUpload(Readable.from([Buffer.alloc(1)]), 16, '17')).rejects.toMatchObject({ code: 'ACCORD_ERR_PAYLOAD_TOO_LARGE' });
  });
});
