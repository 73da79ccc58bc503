/**
 * First-party data ingest (core/ingest/): members, orders and events as CSV or NDJSON files of any
 * size (streamed to a temporary file, stored, and answered at once with the run to poll; a job
 * then reads it through the pipeline a chunk per transaction) or as a JSON batch of up to 10,000
 * records (ingested within the request); run status with progress, and the per-row error report.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { csvLine, UTF8_BOM } from '../../core/files/csv-line.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { ingestBatch, MAX_BATCH_RECORDS } from '../../core/ingest/ingest-batch.ts';
import { ingestKinds } from '../../core/ingest/ingest-columns.ts';
import { acceptIngestFile } from '../../core/ingest/ingest-file-job.ts';
import { scanTextFile } from '../../core/files/text-file.ts';
import { findRun, runIssuesPage, type IngestRun, type StoredIngestIssue } from '../../core/ingest/ingest-runs.ts';
import { acceptFileUploads, encodingLabel, formatOfType, sendDownload, uploadedFile } from '../file-uploads.ts';
import { actorOf, inCallerTenant, principalOf } from '../plugins/auth.ts';

/** Member files run to gigabytes; the spool streams them to disk, so only disk space bounds this. */
export const INGEST_MAX_BYTES = 4 * 1024 ** 3;
/** 10,000 records of a few hundred bytes each, with room for order items. */
const BATCH_MAX_BYTES = 32 * 1024 * 1024;

const issue = z.object({
  row: z.number(),
  line: z.number().optional(),
  column: z.number().optional(),
  field: z.string().optional(),
  reason: z.string(),
  detail: z.string(),
});

const run = z.object({
  id: z.uuid(),
  kind: z.enum(ingestKinds),
  status: z.enum(['queued', 'running', 'completed', 'failed']).describe('queued: the file is stored and waits for a worker; running: rows are being ingested; completed and failed are final'),
  format: z.enum(['csv', 'ndjson', 'json']),
  encoding: z.enum(['utf-8', 'gb18030']),
  mode: z.enum(['strict', 'lenient']),
  bytes: z.number(),
  rowsRead: z.number(),
  applied: z.number(),
  rejected: z.number(),
  personsCreated: z.number(),
  personsMerged: z.number(),
  lastCommittedRow: z.number(),
  error: issue.nullable().describe('Why a failed run stopped: the row and the reason'),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

const toRunJson = (r: IngestRun): z.input<typeof run> => ({ ...r, error: r.error && issue.parse(r.error), createdAt: r.createdAt.toISOString(), finishedAt: r.finishedAt?.toISOString() ?? null });

const kindParams = z.object({ kind: z.enum(ingestKinds) });
const mode = z.enum(['strict', 'lenient']).default('strict');
const issueColumns = ['row', 'line', 'column', 'field', 'reason', 'detail'];

export const ingestRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async (app, { db, masterKey }) => {
  const keys = new IdentifierKeys(masterKey);
  acceptFileUploads(app, INGEST_MAX_BYTES);

  app.post(
    '/v1/ingest/:kind/files',
    {
      bodyLimit: INGEST_MAX_BYTES,
      config: { scope: 'data:write' },
      schema: {
        tags: ['ingest'],
        summary: 'Ingest a members, orders or events file (text/csv or application/x-ndjson): stored and answered at once with the run to poll (Location); the same file again resumes or changes nothing',
        description:
          '202: the file is stored and its run queued; poll GET /v1/ingest/runs/{id} (the Location header) until its status is completed or failed. A failed run names the row and the reason in `error`; the rows before it are ingested, none after. 200: this content was ingested before; the completed run is returned and nothing changes. A run already queued or running for the same content is returned with 202 and not queued twice.',
        consumes: Object.keys(formatOfType),
        // Documentation only: the parsers hand the handler a spooled file.
        body: z.any().describe('CSV with a header row naming the columns, or NDJSON with one record object per line'),
        params: kindParams,
        querystring: z.object({ mode, encoding: encodingLabel.optional() }),
        response: { 200: run, 202: run },
      },
    },
    async (request, reply) => {
      const { upload, format, encoding } = uploadedFile(request, request.query.encoding);
      const scanned = await scanTextFile(upload.path);
      const settings = {
        kind: request.params.kind,
        contentHash: scanned.sha256,
        format,
        encoding: encoding ?? scanned.detectedEncoding,
        mode: request.query.mode,
        bytes: scanned.bytes,
        actor: actorOf(request),
      };
      const accepted = await acceptIngestFile(db, principalOf(request).tenantId, settings, upload.path);
      return reply
        .code(accepted.status === 'completed' ? 200 : 202)
        .header('location', `/v1/ingest/runs/${accepted.id}`)
        .send(toRunJson(accepted));
    },
  );

  app.post(
    '/v1/ingest/:kind/batch',
    {
      bodyLimit: BATCH_MAX_BYTES,
      config: { scope: 'data:write' },
      schema: {
        tags: ['ingest'],
        summary: `Ingest up to ${MAX_BATCH_RECORDS} members, orders or events as JSON records (the same keys as the file columns); the same batch again changes nothing`,
        params: kindParams,
        body: z.object({ records: z.array(z.record(z.string(), z.unknown())).min(1).max(MAX_BATCH_RECORDS), mode }),
        response: { 201: run },
      },
    },
    async (request, reply) => {
      const result = await ingestBatch(db, keys, principalOf(request).tenantId, request.params.kind, request.body.records, { mode: request.body.mode, actor: actorOf(request) });
      return reply.code(201).send(toRunJson(result));
    },
  );

  app.get(
    '/v1/ingest/runs/:id',
    {
      config: { scope: ['data:read', 'data:write'] },
      schema: { tags: ['ingest'], summary: 'Status, progress and counts of an ingest run', params: z.object({ id: z.uuid() }), response: { 200: run } },
    },
    async (request) => toRunJson(await inCallerTenant(db, request, (trx) => findRun(trx, request.params.id))),
  );

  app.get(
    '/v1/ingest/runs/:id/issues',
    {
      config: { scope: ['data:read', 'data:write'] },
      schema: {
        tags: ['ingest'],
        summary: 'Per-row error report of an ingest run (row, column, field, reason), as JSON or as CSV for spreadsheets',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const tenantId = principalOf(request).tenantId;
      await withTenant(db, tenantId, (trx) => findRun(trx, id));
      async function* issues(): AsyncGenerator<StoredIngestIssue> {
        let after = 0;
        for (;;) {
          const page = await withTenant(db, tenantId, (trx) => runIssuesPage(trx, id, after, 1_000));
          yield* page;
          if (page.length < 1_000) return;
          after = page.at(-1)!.id;
        }
      }
      if (request.query.format === 'csv') {
        return sendDownload(reply, 'text/csv; charset=utf-8', `ingest-${id}-issues.csv`, (async function* () {
          yield UTF8_BOM + csvLine(issueColumns);
          for await (const i of issues()) yield csvLine([i.row, i.line, i.column, i.field, i.reason, i.detail]);
        })());
      }
      return sendDownload(reply, 'application/json; charset=utf-8', `ingest-${id}-issues.json`, (async function* () {
        yield `{"runId":${JSON.stringify(id)},"issues":[`;
        let first = true;
        for await (const { id: _id, ...i } of issues()) {
          yield `${first ? '' : ','}${JSON.stringify(i)}`;
          first = false;
        }
        yield ']}';
      })());
    },
  );
};
