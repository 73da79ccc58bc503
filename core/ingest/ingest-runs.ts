/**
 * The ingest run record (migration 0011): one per (kind, content hash) and tenant. It carries the
 * last row committed, so a run that stopped resumes after it when the same file comes again, and a
 * completed run is returned as it is. Issues of rows past the last committed row belong to a chunk
 * that never committed and are dropped on resume.
 */
import type { Selectable } from 'kysely';
import { AccordError, notFound } from '../errors.ts';
import type { IngestRunTable } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { TextEncoding } from '../files/text-file.ts';
import { ImportError } from '../consent/import/import-errors.ts';
import type { IngestKind } from './ingest-columns.ts';
import type { IngestIssue } from './ingest-row.ts';

export type IngestFormat = 'csv' | 'ndjson' | 'json';
export type IngestMode = 'strict' | 'lenient';

export interface IngestCounts {
  /** Data rows read and committed (header and blank lines excluded). */
  rowsRead: number;
  applied: number;
  /** Rows left out: invalid (lenient mode) or refused because the person was erased. */
  rejected: number;
  personsCreated: number;
  personsMerged: number;
}

export interface IngestRun extends IngestCounts {
  id: string;
  kind: IngestKind;
  /** `queued`: an uploaded file waits for a worker (migration 0020). */
  status: 'queued' | 'running' | 'completed' | 'failed';
  format: IngestFormat;
  encoding: TextEncoding;
  mode: IngestMode;
  bytes: number;
  lastCommittedRow: number;
  error: IngestIssue | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface RunSettings {
  kind: IngestKind;
  contentHash: Uint8Array;
  format: IngestFormat;
  encoding: TextEncoding;
  mode: IngestMode;
  bytes: number;
  actor: string;
}

export const toRun = (row: Selectable<IngestRunTable>): IngestRun => ({
  id: row.id,
  kind: row.kind,
  status: row.status,
  format: row.format,
  encoding: row.encoding,
  mode: row.mode,
  bytes: Number(row.bytes),
  rowsRead: row.rows_read,
  applied: row.applied,
  rejected: row.rejected,
  personsCreated: row.persons_created,
  personsMerged: row.persons_merged,
  lastCommittedRow: row.last_committed_row,
  error: row.error as IngestIssue | null,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

/** Starts a run, or picks up the earlier run of the same content: `done` when it had completed. */
export async function openRun(trx: TenantTransaction, settings: RunSettings): Promise<{ run: IngestRun; done: boolean }> {
  const earlier = await trx
    .selectFrom('ingest_runs')
    .selectAll()
    .where('kind', '=', settings.kind)
    .where('content_hash', '=', settings.contentHash)
    .forUpdate()
    .executeTakeFirst();
  if (earlier) {
    if (earlier.format !== settings.format || earlier.encoding !== settings.encoding) {
      throw new ImportError('ACCORD_ERR_IMPORT_OPTIONS', `this content is ingest run ${earlier.id}, read as ${earlier.format} in ${earlier.encoding}; the same file is read the same way`, {
        runId: earlier.id,
      });
    }
    if (earlier.status === 'completed') return { run: toRun(earlier), done: true };
    await trx.deleteFrom('ingest_run_issues').where('run_id', '=', earlier.id).where('row', '>', earlier.last_committed_row).execute();
    const resumed = await trx
      .updateTable('ingest_runs')
      .set({ status: 'running', mode: settings.mode, error: null, finished_at: null, updated_at: new Date() })
      .where('id', '=', earlier.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { run: toRun(resumed), done: false };
  }
  const created = await trx
    .insertInto('ingest_runs')
    .values(newRunRow(trx, settings, 'running'))
    .onConflict((oc) => oc.columns(['tenant_id', 'kind', 'content_hash']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!created) throw new AccordError('ACCORD_ERR_CONFLICT', 'this file is being ingested by another request right now; send it again later to resume it');
  return { run: toRun(created), done: false };
}

/** A new run's row for this content, in the status it starts in. */
const newRunRow = (trx: TenantTransaction, settings: RunSettings, status: 'running' | 'queued') => ({
  tenant_id: trx.tenantId,
  kind: settings.kind,
  content_hash: settings.contentHash,
  format: settings.format,
  encoding: settings.encoding,
  mode: settings.mode,
  bytes: settings.bytes,
  status,
  error: null,
  created_by: settings.actor,
});

/**
 * The run an upload of this content already has, if it needs nothing more: completed, or queued or
 * running with its job still open. With `lock`, the run's row stays locked to the transaction.
 */
export async function standingRun(trx: TenantTransaction, settings: RunSettings, openJob: (runId: string) => Promise<boolean>, lock = false): Promise<IngestRun | undefined> {
  let query = trx.selectFrom('ingest_runs').selectAll().where('kind', '=', settings.kind).where('content_hash', '=', settings.contentHash);
  if (lock) query = query.forUpdate();
  const earlier = await query.executeTakeFirst();
  if (!earlier) return undefined;
  if (earlier.format !== settings.format || earlier.encoding !== settings.encoding) {
    throw new ImportError('ACCORD_ERR_IMPORT_OPTIONS', `this content is ingest run ${earlier.id}, read as ${earlier.format} in ${earlier.encoding}; the same file is read the same way`, {
      runId: earlier.id,
    });
  }
  if (earlier.status === 'completed') return toRun(earlier);
  if ((earlier.status === 'queued' || earlier.status === 'running') && (await openJob(earlier.id))) return toRun(earlier);
  return undefined;
}

/**
 * Queues the run of this content to read the stored upload `uploadId`: a new run, or the earlier
 * one (failed, or left running by a process that died), to resume after its last committed row.
 * Undefined when a concurrent upload of the same content completed it meanwhile.
 */
export async function queueRun(trx: TenantTransaction, settings: RunSettings, uploadId: string): Promise<IngestRun | undefined> {
  const row = await trx
    .insertInto('ingest_runs')
    .values({ ...newRunRow(trx, settings, 'queued'), upload_id: uploadId })
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'kind', 'content_hash'])
        .doUpdateSet({ status: 'queued', mode: settings.mode, error: null, finished_at: null, upload_id: uploadId, updated_at: new Date() })
        .where('ingest_runs.status', '!=', 'completed'),
    )
    .returningAll()
    .executeTakeFirst();
  return row && toRun(row);
}

/** Locks the run for a chunk and checks no other run of it moved on meanwhile. */
export async function lockRunAt(trx: TenantTransaction, id: string, lastCommittedRow: number): Promise<void> {
  const row = await trx.selectFrom('ingest_runs').select('last_committed_row').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
  if (row.last_committed_row !== lastCommittedRow) throw new AccordError('ACCORD_ERR_CONFLICT', `ingest run ${id} was advanced by another request; ask for its status`);
}

/** Adds a chunk's counts and issues and moves the last committed row, in the chunk's transaction. */
export async function commitRunChunk(trx: TenantTransaction, id: string, to: number, counts: IngestCounts, issues: readonly IngestIssue[]): Promise<IngestRun> {
  const updated = await trx
    .updateTable('ingest_runs')
    .set((eb) => ({
      last_committed_row: to,
      rows_read: eb('rows_read', '+', counts.rowsRead),
      applied: eb('applied', '+', counts.applied),
      rejected: eb('rejected', '+', counts.rejected),
      persons_created: eb('persons_created', '+', counts.personsCreated),
      persons_merged: eb('persons_merged', '+', counts.personsMerged),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await insertIssues(trx, id, issues);
  return toRun(updated);
}

/** `error` is why a strict run stopped. */
export async function finishRun(trx: TenantTransaction, id: string, status: 'completed' | 'failed', error?: IngestIssue): Promise<IngestRun> {
  if (error) await insertIssues(trx, id, [error]);
  const row = await trx
    .updateTable('ingest_runs')
    .set({ status, error: error ? JSON.stringify(error) : null, finished_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRun(row);
}

export async function findRun(trx: TenantTransaction, id: string): Promise<IngestRun> {
  const row = await trx.selectFrom('ingest_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('ingest run');
  return toRun(row);
}

export interface StoredIngestIssue extends IngestIssue {
  readonly id: number;
}

/** The run's issues in row order, a page at a time after the issue id `after`. */
export async function runIssuesPage(trx: TenantTransaction, runId: string, after: number, limit: number): Promise<StoredIngestIssue[]> {
  const rows = await trx.selectFrom('ingest_run_issues').selectAll().where('run_id', '=', runId).where('id', '>', after).orderBy('id').limit(limit).execute();
  return rows.map((row) => ({
    id: Number(row.id),
    row: row.row,
    line: row.line ?? undefined,
    column: row.column_number ?? undefined,
    field: row.field ?? undefined,
    reason: row.reason,
    detail: row.detail,
  }));
}

const ISSUE_PAGE = 1_000;

async function insertIssues(trx: TenantTransaction, runId: string, issues: readonly IngestIssue[]): Promise<void> {
  for (let i = 0; i < issues.length; i += ISSUE_PAGE) {
    await trx
      .insertInto('ingest_run_issues')
      .values(
        issues.slice(i, i + ISSUE_PAGE).map((issue) => ({
          tenant_id: trx.tenantId,
          run_id: runId,
          row: issue.row,
          line: issue.line ?? null,
          column_number: issue.column ?? null,
          field: issue.field ?? null,
          reason: issue.reason,
          detail: issue.detail,
        })),
      )
      .execute();
  }
}
