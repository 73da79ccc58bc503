/**
 * Bulk consent imports (CSV or NDJSON bodies, streamed to a temporary file, then through the
 * ledger writer), their conflict reports, and the auditor's streaming export of the consent log.
 * The CSV and NDJSON body parsers exist only inside this plugin; the rest of the API stays JSON-only.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { canonicalJson } from '../../crypto/canonical-json.ts';
import { recordAuditEvent } from '../../core/audit/audit-log.ts';
import { exportConsentEvents, exportHead, type ExportedEvent } from '../../core/consent/export-consent-events.ts';
import { findImport, importIssuesPage, type ImportSummary, type StoredIssue } from '../../core/consent/import/consent-imports.ts';
import { importConsentRecords } from '../../core/consent/import/import-consent-records.ts';
import type { Database } from '../../core/db/schema.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { csvLine, UTF8_BOM } from '../../core/files/csv-line.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { acceptFileUploads, encodingLabel, formatOfType, sendDownload, uploadedFile } from '../file-uploads.ts';
import { actorOf, inCallerTenant, principalOf } from '../plugins/auth.ts';

/** Import files are larger than JSON bodies: this limit, not the API's body limit, applies to them. */
export const IMPORT_MAX_BYTES = 256 * 1024 * 1024;

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const issue = z.object({
  row: z.number(),
  line: z.number().optional(),
  column: z.number().optional(),
  field: z.string().optional(),
  severity: z.enum(['error', 'warning']),
  reason: z.string(),
  detail: z.string(),
  clientEventId: z.string().optional(),
});

const summary = z.object({
  id: z.uuid(),
  status: z.enum(['running', 'completed', 'failed']),
  dryRun: z.boolean(),
  mode: z.enum(['strict', 'lenient']),
  format: z.enum(['csv', 'ndjson']),
  encoding: z.enum(['utf-8', 'gb18030']),
  timeZone: z.string().nullable(),
  rowsRead: z.number(),
  lastCommittedRow: z.number(),
  appended: z.number(),
  duplicates: z.number(),
  skipped: z.number(),
  conflicts: z.number(),
  unchanged: z.number(),
  error: issue.nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

const toSummaryJson = (s: ImportSummary): z.input<typeof summary> => ({
  ...s,
  error: s.error && issue.parse(s.error),
  createdAt: s.createdAt.toISOString(),
  finishedAt: s.finishedAt?.toISOString() ?? null,
});

const hex = (bytes: Uint8Array | null) => (bytes ? Buffer.from(bytes).toString('hex') : '');

const exportColumns = ['tenant_id', 'seq', 'client_event_id', 'subject', 'purpose', 'recipient', 'regime', 'kind', 'notice_id', 'channel', 'source', 'evidence', 'collected_at', 'received_at', 'previous_link', 'link'];

/** Evidence is RFC 8785 JSON, as in the chained record. */
function exportCsvCells({ event, previousLink, link }: ExportedEvent): string[] {
  return [
    event.tenantId, String(event.seq), event.clientEventId, event.subject, event.purpose, event.recipient, event.regime, event.kind, event.noticeId ?? '',
    event.channel, event.source, canonicalJson(event.evidence), event.collectedAt.toISOString(), event.receivedAt.toISOString(), hex(previousLink), hex(link),
  ];
}

const exportJson = ({ event, previousLink, link }: ExportedEvent) =>
  JSON.stringify({ ...event, collectedAt: event.collectedAt.toISOString(), receivedAt: event.receivedAt.toISOString(), previousLink: hex(previousLink), link: hex(link) });

const issueColumns = ['row', 'line', 'column', 'field', 'severity', 'reason', 'detail', 'client_event_id'];

export const consentImportRoutes: FastifyPluginAsyncZod<{ db: Kysely<Database>; identity: NodeIdentity; masterKey: Uint8Array }> = async (app, { db }) => {
  acceptFileUploads(app, IMPORT_MAX_BYTES);

  app.post(
    '/v1/consent/imports',
    {
      bodyLimit: IMPORT_MAX_BYTES,
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent'],
        summary: 'Import consent records from CSV (text/csv) or NDJSON (application/x-ndjson); same file again resumes or is a no-op',
        consumes: Object.keys(formatOfType),
        // Documentation only: the parsers above hand the handler a spooled file.
        body: z.any().describe('CSV with a header row naming the columns, or NDJSON with one event object per line'),
        querystring: z.object({
          dryRun: flag.default(false),
          mode: z.enum(['strict', 'lenient']).default('strict'),
          encoding: encodingLabel.optional(),
          timeZone: z.string().min(1).max(64).optional(),
        }),
        response: { 200: summary, 201: summary },
      },
    },
    async (request, reply) => {
      const { upload, format, encoding } = uploadedFile(request, request.query.encoding);
      const result = await importConsentRecords(db, principalOf(request).tenantId, upload.path, {
        format,
        encoding,
        timeZone: request.query.timeZone,
        mode: request.query.mode,
        dryRun: request.query.dryRun,
        actor: actorOf(request),
      });
      return reply.code(result.dryRun ? 200 : 201).send(toSummaryJson(result));
    },
  );

  app.get(
    '/v1/consent/imports/:id',
    {
      config: { scope: 'privacy:admin' },
      schema: { tags: ['consent'], summary: 'Status and counts of an import', params: z.object({ id: z.uuid() }), response: { 200: summary } },
    },
    async (request) => toSummaryJson(await inCallerTenant(db, request, (trx) => findImport(trx, request.params.id))),
  );

  app.get(
    '/v1/consent/imports/:id/issues',
    {
      config: { scope: 'privacy:admin' },
      schema: {
        tags: ['consent'],
        summary: 'Conflict report of an import: bad rows, conflicts within the file and with the ledger, rows that change nothing',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ format: z.enum(['json', 'csv']).default('json') }),
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const tenantId = principalOf(request).tenantId;
      await withTenant(db, tenantId, (trx) => findImport(trx, id));
      async function* issues(): AsyncGenerator<StoredIssue> {
        let after = 0;
        for (;;) {
          const page = await withTenant(db, tenantId, (trx) => importIssuesPage(trx, id, after, 1_000));
          yield* page;
          if (page.length < 1_000) return;
          after = page.at(-1)!.id;
        }
      }
      if (request.query.format === 'csv') {
        return sendDownload(reply, 'text/csv; charset=utf-8', `consent-import-${id}-issues.csv`, (async function* () {
          yield UTF8_BOM + csvLine(issueColumns);
          for await (const i of issues()) yield csvLine([i.row, i.line, i.column, i.field, i.severity, i.reason, i.detail, i.clientEventId]);
        })());
      }
      return sendDownload(reply, 'application/json; charset=utf-8', `consent-import-${id}-issues.json`, (async function* () {
        yield `{"importId":${JSON.stringify(id)},"issues":[`;
        let first = true;
        for await (const { id: _id, ...i } of issues()) {
          yield `${first ? '' : ','}${JSON.stringify(i)}`;
          first = false;
        }
        yield ']}';
      })());
    },
  );

  app.get(
    '/v1/consent/export',
    {
      config: { scope: ['privacy:admin', 'audit:read'] },
      schema: {
        tags: ['consent'],
        summary: "Stream the tenant's consent events with their chain links (CSV with formula cells neutralised, or NDJSON)",
        querystring: z.object({
          format: z.enum(['csv', 'ndjson']).default('ndjson'),
          from: z.iso.datetime({ offset: true }).transform((value) => new Date(value)).optional(),
          to: z.iso.datetime({ offset: true }).transform((value) => new Date(value)).optional(),
          purpose: z.string().min(1).max(200).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { format, ...filter } = request.query;
      const tenantId = principalOf(request).tenantId;
      const upTo = await exportHead(db, tenantId);
      await withTenant(db, tenantId, (trx) =>
        recordAuditEvent(trx, {
          actor: actorOf(request),
          action: 'consent.exported',
          targetType: 'consent_log',
          details: { format, upToSeq: upTo, from: filter.from?.toISOString(), to: filter.to?.toISOString(), purpose: filter.purpose },
        }),
      );
      reply.header('x-accord-export-head-seq', String(upTo));
      const events = exportConsentEvents(db, tenantId, upTo, filter);
      if (format === 'csv') {
        return sendDownload(reply, 'text/csv; charset=utf-8', 'consent-events.csv', (async function* () {
          yield UTF8_BOM + csvLine(exportColumns);
          for await (const exported of events) yield csvLine(exportCsvCells(exported));
        })());
      }
      return sendDownload(reply, 'application/x-ndjson; charset=utf-8', 'consent-events.ndjson', (async function* () {
        for await (const exported of events) yield `${exportJson(exported)}\n`;
      })());
    },
  );
};
