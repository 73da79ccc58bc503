import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../../api/plugins/auth.ts';
import { frameworkErrorHandler, problemDetails } from '../../api/plugins/problem-details.ts';
import { ingestRoutes } from '../../api/routes/ingest-routes.ts';
import { csvRecords } from '../../core/files/csv-records.ts';
import { loadOrCreateNodeIdentity } from '../../core/identity/node-identity.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import type { Scope } from '../../core/tenancy/scopes.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { bearer } from '../support/test-app.ts';
import { ingestEnded, startIngestRunner } from '../support/ingest-jobs.ts';
import { queueBackends, waitFor } from '../support/job-runners.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

const masterKey = new Uint8Array(32).fill(3);

/** The ingest routes behind the real auth and problem+json plugins (api/app.ts registers them the same way). */
async function startIngestApp(t: TestDatabase): Promise<FastifyInstance> {
  const identity = await loadOrCreateNodeIdentity(t.db, masterKey, 'Test brand');
  const app = Fastify({ logger: false, bodyLimit: 1_048_576, frameworkErrors: frameworkErrorHandler }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(problemDetails);
  await app.register(auth, { db: t.db });
  await app.register(ingestRoutes, { db: t.db, identity, masterKey });
  await app.ready();
  return app;
}

async function csvOf(text: string): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const record of csvRecords((async function* () { yield text; })())) rows.push(record.fields);
  return rows;
}

const combinations = storageBackends.flatMap((storage) => queueBackends.map((queue) => [storage, queue] as const));

describe.each(combinations)('ingest API on %s with the %s runner', (backend, queue) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let runner: JobRunner;
  let writer: string;
  let reader: string;
  let other: string;
  const keyFor = async (slug: string, scopes: Scope[]) => {
    const tenant = await ensureTenant(t.db, slug);
    return (await createApiKey(t.db, { tenantId: tenant.id, name: 'test', scopes })).token;
  };
  const upload = (kind: string, body: string | Buffer | Readable, type: string, query = '', token = writer) =>
    app.inject({ method: 'POST', url: `/v1/ingest/${kind}/files${query}`, payload: typeof body === 'string' ? Buffer.from(body) : body, headers: { ...bearer(token), 'content-type': type } });
  const batch = (kind: string, body: object, token = writer) => app.inject({ method: 'POST', url: `/v1/ingest/${kind}/batch`, payload: body, headers: bearer(token) });
  const get = (url: string, token = reader) => app.inject({ method: 'GET', url, headers: bearer(token) });
  const ended = (accepted: { headers: Record<string, unknown> }) => ingestEnded(app, accepted, reader);

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    app = await startIngestApp(t);
    runner = await startIngestRunner(queue, t, masterKey);
    writer = await keyFor('brand', ['data:write']);
    reader = await keyFor('brand', ['data:read']);
    other = await keyFor('other-brand', ['data:read', 'data:write']);
  });
  afterAll(async () => {
    await runner?.stop();
    await app.close();
    await t.dispose();
  });

  it('ingests a members CSV, reports its run, and serves the error report as JSON and formula-safe CSV', async () => {
    const body = ['email,phone,attr.note', 'a@example.com,13800138000,ok', 'bad-email,13800138001,"=HYPERLINK(""x"")"', 'c@example.com,12,'].join('\n');
    const accepted = await upload('members', body, 'text/csv', '?mode=lenient');
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json()).toMatchObject({ kind: 'members', status: 'queued', format: 'csv', encoding: 'utf-8', rowsRead: 0 });
    expect(accepted.headers.location).toBe(`/v1/ingest/runs/${accepted.json().id}`);
    const first = await ended(accepted);
    expect(first).toMatchObject({ id: accepted.json().id, kind: 'members', status: 'completed', rowsRead: 3, applied: 1, rejected: 2, personsCreated: 1 });
    // The same content again: the completed run, at once, and nothing changes.
    const again = await upload('members', body, 'text/csv', '?mode=lenient');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first);

    const json = await get(`/v1/ingest/runs/${first.id}/issues`);
    expect(json.json()).toEqual({
      runId: first.id,
      issues: [
        { row: 3, line: 3, column: 1, field: 'email', reason: 'email_at_sign', detail: 'The email address needs exactly one @' },
        { row: 4, line: 4, column: 2, field: 'phone', reason: 'phone_invalid', detail: expect.any(String) },
      ],
    });
    const csv = await get(`/v1/ingest/runs/${first.id}/issues?format=csv`);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = await csvOf(csv.body.replace(/^\uFEFF/, ''));
    expect(rows[0]).toEqual(['row', 'line', 'column', 'field', 'reason', 'detail']);
    expect(rows[1]!.slice(0, 5)).toEqual(['3', '3', '1', 'email', 'email_at_sign']);
  });

  it('fails a strict run at its first bad row, naming row and column, with the rows before it kept', async () => {
    const response = await upload('members', 'email\nok@example.com\nnope', 'text/csv');
    expect(response.statusCode).toBe(202);
    expect(await ended(response)).toMatchObject({ status: 'failed', applied: 1, lastCommittedRow: 2, error: { row: 3, column: 1, field: 'email', reason: 'email_at_sign' } });
  });

  it('fails the run of a malformed file with a clear reason and writes none of its rows', async () => {
    // An unclosed quote swallows the rest of the file: the reader gives up at the line cap.
    const unreadable = await upload('members', `email,attr.note\nfirst@example.com,"${'x'.repeat(2 * 1024 * 1024)}\nsecond@example.com,y\n`, 'text/csv');
    expect(unreadable.statusCode).toBe(202);
    const failed = await ended(unreadable);
    expect(failed).toMatchObject({ status: 'failed', rowsRead: 0, applied: 0, lastCommittedRow: 0, error: { reason: 'line_too_long' } });
    expect(failed.error?.detail).toMatch(/line/);
    const noHeader = await ended(await upload('orders', 'order_id,placed_at\nA1,2024-06-18T20:15:00+08:00\n', 'text/csv'));
    expect(noHeader).toMatchObject({ status: 'failed', applied: 0, error: { reason: 'header' } });
    expect(noHeader.error?.detail).toMatch(/amount/);
    // Nothing of either file was written, and neither is kept once its job is done.
    await waitFor(async () => ((await t.db.selectFrom('ingest_upload_parts').select('upload_id').execute()).length === 0 ? true : undefined), 'the stored files to go');
    expect((await get(`/v1/ingest/runs/${failed.id}/issues`)).json().issues).toEqual([expect.objectContaining({ reason: 'line_too_long' })]);
  });

  it('finishes a run whose client hung up right after the 202', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const body = `email\n${Array.from({ length: 2_000 }, (_, i) => `gone${i}@example.com`).join('\n')}\n`;
    const location = await new Promise<string>((resolve, reject) => {
      const sent = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/ingest/members/files', headers: { ...bearer(writer), 'content-type': 'text/csv' } }, (response) => {
        expect(response.statusCode).toBe(202);
        // The client drops the connection without reading the answer.
        response.socket.destroy();
        resolve(String(response.headers.location));
      });
      sent.on('error', reject);
      sent.end(body);
    });
    expect(await ended({ headers: { location } })).toMatchObject({ status: 'completed', rowsRead: 2_000, applied: 2_000, personsCreated: 2_000 });
  });

  it('ingests NDJSON orders and a JSON batch of events; a retried batch changes nothing', async () => {
    const order = { order_id: 'A1', placed_at: '2024-06-18T20:15:00+08:00', amount: '10.00', currency: 'CNY', channel: 'jd', status: 'paid', 'jd_user_id@shop1': 'jd-9', items: [{ sku: 'K', quantity: 1, amount: '10.00' }] };
    const orders = await ended(await upload('orders', `${JSON.stringify(order)}\n`, 'application/x-ndjson'));
    expect(orders).toMatchObject({ status: 'completed', format: 'ndjson', applied: 1, personsCreated: 1 });

    const records = [
      { event_id: 'V1', type: 'page.view', occurred_at: '2024-06-18T12:00:00Z', channel: 'app', properties: { page: '/' }, 'jd_user_id@shop1': 'jd-9' },
      { event_id: 'V2', type: 'page.view', occurred_at: '2024-06-18T12:00:00Z', channel: 'app', phone: '12' },
    ];
    const sent = await batch('events', { records, mode: 'lenient' });
    expect(sent.statusCode).toBe(201);
    expect(sent.json()).toMatchObject({ format: 'json', applied: 1, rejected: 1, personsCreated: 0 });
    expect((await batch('events', { records, mode: 'lenient' })).json()).toEqual(sent.json());
    const issues = (await get(`/v1/ingest/runs/${sent.json().id}/issues`)).json();
    expect(issues.issues).toEqual([{ row: 2, field: 'phone', reason: 'phone_invalid', detail: expect.any(String) }]);

    const hostile = await batch('members', { records: [{ email: 'h@example.com', '=cmd()': 'x' }], mode: 'lenient' });
    const report = await get(`/v1/ingest/runs/${hostile.json().id}/issues?format=csv`);
    expect((await csvOf(report.body.replace(/^\uFEFF/, '')))[1]!.slice(3, 5)).toEqual(["'=cmd()", 'unknown_field']);

    const tooMany = await batch('events', { records: Array.from({ length: 10_001 }, () => ({})) });
    expect(tooMany.statusCode).toBe(400);
    expect((await batch('members', { records: [{ email: 'x@example.com', attr: 1 }] })).json()).toMatchObject({ code: 'ACCORD_ERR_IMPORT_ROW', field: 'attr', reason: 'unknown_field' });
  });

  it('needs data:write to ingest and data:read to see runs, within the caller tenant only', async () => {
    const sent = await batch('members', { records: [{ email: 'scoped@example.com' }] });
    expect(sent.statusCode).toBe(201);
    expect((await batch('members', { records: [{ email: 'r@example.com' }] }, reader)).statusCode).toBe(403);
    expect((await upload('members', 'email\nr@example.com', 'text/csv', '', reader)).statusCode).toBe(403);
    expect((await get(`/v1/ingest/runs/${sent.json().id}`, writer)).statusCode).toBe(200);
    expect((await get(`/v1/ingest/runs/${sent.json().id}`, other)).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/v1/ingest/runs/${sent.json().id}` })).statusCode).toBe(401);
    expect((await upload('members', 'email\nx@example.com', 'text/plain')).statusCode).toBe(415);
  });

  it('streams a large upload through the spool and the reader to completion', async () => {
    // ~24 MB in 3,000 rows: far above the 1 MB JSON body limit, read a chunk at a time.
    const rows = 3_000;
    const padding = 'x'.repeat(8_000);
    async function* body() {
      yield 'email,attr.note\n';
      for (let i = 0; i < rows; i++) yield `big${i}@example.com,${padding}\n`;
    }
    const response = await upload('members', Readable.from(body()), 'text/csv');
    expect(response.statusCode).toBe(202);
    const run = await ended(response);
    expect(run).toMatchObject({ status: 'completed', rowsRead: rows, applied: rows });
    expect(run.bytes).toBeGreaterThan(24_000_000);
  });
});
