/**
 * The import record: one per file (by content hash) and tenant, plus dry runs. It carries the last
 * row committed, so a run that died resumes after it, and the counts; its issues are the conflict
 * report. Issues of rows past the last committed row belong to a run that did not commit them and
 * are dropped when the import resumes.
 */
import type { Selectable } from 'kysely';
import { AccordError, notFound } from '../../errors.ts';
import type { ConsentImportTable } from '../../db/schema.ts';
import type { TenantTransaction } from '../../db/tenant-scope.ts';
import type { TextEncoding } from '../../files/text-file.ts';
import { ImportError } from './import-errors.ts';
import type { RowIssue } from './import-row.ts';

export type ImportFormat = 'csv' | 'ndjson';
export type ImportMode = 'strict' | 'lenient';

export interface ImportSettings {
  contentHash: Uint8Array;
  format: ImportFormat;
  encoding: TextEncoding;
  timeZone: string | undefined;
  mode: ImportMode;
  dryRun: boolean;
  actor: string;
}

export interface ImportCounts {
  /** Data rows read and committed (header and blank lines excluded). */
  rowsRead: number;
  appended: number;
  /** Rows whose event the ledger already holds with the same content (or repeated in the file). */
  duplicates: number;
  /** Rows with an error, left out (lenient mode; in a dry run, rows that would be left out). */
  skipped: number;
  /** Rows that conflict with another row of the file or with the ledger. */
  conflicts: number;
  /** Rows appended that do not change the current decision (collected before it). */
  unchanged: number;
}

export interface ImportSummary extends ImportCounts {
  id: string;
  status: 'running' | 'completed' | 'failed';
  dryRun: boolean;
  mode: ImportMode;
  format: ImportFormat;
  encoding: TextEncoding;
  timeZone: string | null;
  lastCommittedRow: number;
  error: RowIssue | null;
  createdAt: Date;
  finishedAt: Date | null;
}

type ImportRow = Selectable<ConsentImportTable>;

const toSummary = (row: ImportRow): ImportSummary => ({
  id: row.id,
  status: row.status,
  dryRun: row.dry_run,
  mode: row.mode,
  format: row.format,
  encoding: row.encoding,
  timeZone: row.time_zone,
  lastCommittedRow: row.last_committed_row,
  rowsRead: row.rows_read,
  appended: row.appended,
  duplicates: row.duplicates,
  skipped: row.skipped,
  conflicts: row.conflicts,
  unchanged: row.unchanged,
  error: row.error as RowIssue | null,
  createdAt: row.created_at,
  finishedAt: row.finished_at,
});

/**
 * Starts an import, or picks up the earlier import of the same file: a finished one is returned as
 * it is (`done`), an unfinished one resumes after its last committed row with this run's mode.
 */
export async function openImport(trx: TenantTransaction, settings: ImportSettings): Promise<{ summary: ImportSummary; done: boolean }> {
  if (!settings.dryRun) {
    const earlier = await trx.selectFrom('consent_imports').selectAll().where('content_hash', '=', settings.contentHash).where('dry_run', '=', false).forUpdate().executeTakeFirst();
    if (earlier) {
      if (earlier.format !== settings.format || earlier.encoding !== settings.encoding || earlier.time_zone !== (settings.timeZone ?? null)) {
        throw new ImportError(
          'ACCORD_ERR_IMPORT_OPTIONS',
          `this file is import ${earlier.id}, read as ${earlier.format} in ${earlier.encoding}${earlier.time_zone ? ` with time zone ${earlier.time_zone}` : ''}; the same file is imported the same way`,
          { importId: earlier.id },
        );
      }
      if (earlier.status === 'completed') return { summary: toSummary(earlier), done: true };
      await trx.deleteFrom('consent_import_issues').where('import_id', '=', earlier.id).where('row', '>', earlier.last_committed_row).execute();
      const resumed = await trx
        .updateTable('consent_imports')
        .set({ status: 'running', mode: settings.mode, error: null, finished_at: null, updated_at: new Date() })
        .where('id', '=', earlier.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { summary: toSummary(resumed), done: false };
    }
  }
  const created = await trx
    .insertInto('consent_imports')
    .values({
      tenant_id: trx.tenantId,
      content_hash: settings.contentHash,
      format: settings.format,
      encoding: settings.encoding,
      time_zone: settings.timeZone ?? null,
      mode: settings.mode,
      dry_run: settings.dryRun,
      status: 'running',
      error: null,
      created_by: settings.actor,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'content_hash']).where('dry_run', '=', false).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!created) throw new AccordError('ACCORD_ERR_CONFLICT', 'this file is being imported by another request right now; send it again later to resume it');
  return { summary: toSummary(created), done: false };
}

/**
 * Adds a chunk's counts and issues and moves the last committed row, in the caller's transaction
 * (the one that appended the chunk's events). Refuses when another run moved it meanwhile.
 */
export async function commitImportChunk(trx: TenantTransaction, id: string, from: number, to: number, counts: ImportCounts, issues: readonly RowIssue[]): Promise<ImportSummary> {
  const updated = await trx
    .updateTable('consent_imports')
    .set((eb) => ({
      last_committed_row: to,
      rows_read: eb('rows_read', '+', counts.rowsRead),
      appended: eb('appended', '+', counts.appended),
      duplicates: eb('duplicates', '+', counts.duplicates),
      skipped: eb('skipped', '+', counts.skipped),
      conflicts: eb('conflicts', '+', counts.conflicts),
      unchanged: eb('unchanged', '+', counts.unchanged),
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('last_committed_row', '=', from)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw new AccordError('ACCORD_ERR_CONFLICT', `import ${id} was advanced by another run; ask for its status`);
  await insertIssues(trx, id, issues);
  return toSummary(updated);
}

/** Locks the import row for a chunk, so two runs of one import cannot interleave chunks. */
export async function lockImportAt(trx: TenantTransaction, id: string, lastCommittedRow: number): Promise<void> {
  const row = await trx.selectFrom('consent_imports').select('last_committed_row').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
  if (row.last_committed_row !== lastCommittedRow) throw new AccordError('ACCORD_ERR_CONFLICT', `import ${id} was advanced by another run; ask for its status`);
}

/** `error` is why it stopped (or, for a strict dry run, where a real run would stop). */
export async function finishImport(trx: TenantTransaction, id: string, status: 'completed' | 'failed', error: RowIssue | undefined, newIssues: readonly RowIssue[]): Promise<ImportSummary> {
  await insertIssues(trx, id, newIssues);
  const row = await trx
    .updateTable('consent_imports')
    .set({ status, error: error ? JSON.stringify(error) : null, finished_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toSummary(row);
}

export async function findImport(trx: TenantTransaction, id: string): Promise<ImportSummary> {
  const row = await trx.selectFrom('consent_imports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('import');
  return toSummary(row);
}

export interface StoredIssue extends RowIssue {
  id: number;
}

/** The import's issues in row order, a page at a time after the issue id `after`. */
export async function importIssuesPage(trx: TenantTransaction, importId: string, after: number, limit: number): Promise<StoredIssue[]> {
  const rows = await trx.selectFrom('consent_import_issues').selectAll().where('import_id', '=', importId).where('id', '>', after).orderBy('id').limit(limit).execute();
  return rows.map((row) => ({
    id: row.id,
    row: row.row,
    line: row.line ?? undefined,
    column: row.column_number ?? undefined,
    field: row.field ?? undefined,
    severity: row.severity,
    reason: row.reason,
    detail: row.detail,
    clientEventId: row.client_event_id ?? undefined,
  }));
}

const ISSUE_PAGE = 500;

async function insertIssues(trx: TenantTransaction, importId: string, issues: readonly RowIssue[]): Promise<void> {
  for (let i = 0; i < issues.length; i += ISSUE_PAGE) {
    await trx
      .insertInto('consent_import_issues')
      .values(
        issues.slice(i, i + ISSUE_PAGE).map((issue) => ({
          tenant_id: trx.tenantId,
          import_id: importId,
          row: issue.row,
          line: issue.line ?? null,
          column_number: issue.column ?? null,
          field: issue.field ?? null,
          severity: issue.severity,
          reason: issue.reason,
          detail: issue.detail,
          client_event_id: issue.clientEventId ?? null,
        })),
      )
      .execute();
  }
}
