/**
 * The ingest pipeline shared by files and JSON batches: rows are checked as they stream, a chunk
 * of them at a time goes through one transaction that applies the chunk and moves the run's last
 * committed row, so a run that stops resumes after its last chunk when the same content comes
 * again, and content already ingested changes nothing. Strict mode stops at the first invalid row,
 * after committing the rows before it; lenient mode reports invalid rows and goes on. Rows of
 * erased people are refused in both modes: that is not a fault of the file.
 */
import type { Kysely } from 'kysely';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { Database } from '../db/schema.ts';
import { withTenant } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { ImportError } from '../consent/import/import-errors.ts';
import { applyIngestChunk } from './apply-ingest-chunk.ts';
import { ColumnRoles } from './ingest-columns.ts';
import { parseRow, type IngestIssue, type ParsedRow, type SourceRow } from './ingest-row.ts';
import { commitRunChunk, finishRun, lockRunAt, openRun, type IngestRun, type RunSettings } from './ingest-runs.ts';

export interface IngestOptions {
  /** Rows per transaction. */
  chunkSize?: number | undefined;
  /** Checked between chunks: an aborted run stops after its last committed chunk, resumable. */
  signal?: AbortSignal | undefined;
  onChunk?: ((run: IngestRun) => void) | undefined;
}

export const DEFAULT_INGEST_CHUNK = 5_000;
const MAX_INGEST_CHUNK = 50_000;

type Entry = { row: number; parsed: ParsedRow | IngestIssue[] };

export async function runIngest(
  db: Kysely<Database>,
  keys: IdentifierKeys,
  tenantId: string,
  settings: RunSettings,
  rows: () => AsyncIterable<SourceRow>,
  options: IngestOptions = {},
): Promise<IngestRun> {
  const chunkSize = options.chunkSize ?? DEFAULT_INGEST_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_INGEST_CHUNK) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `chunk size must be 1 to ${MAX_INGEST_CHUNK}`);
  const opened = await withTenant(db, tenantId, (trx) => openRun(trx, settings));
  if (opened.done) return opened.run;
  let run = opened.run;
  const source = `ingest:${run.id}`;
  const roles = new ColumnRoles(settings.kind);

  const finish = (status: 'completed' | 'failed', error?: IngestIssue) =>
    withTenant(db, tenantId, async (trx) => {
      const finished = await finishRun(trx, run.id, status, error);
      const { id, kind, rowsRead, applied, rejected, personsCreated, personsMerged } = finished;
      await recordAuditEvent(trx, {
        actor: settings.actor,
        action: `ingest.${status}`,
        targetType: 'ingest_run',
        targetId: id,
        details: { kind, rowsRead, applied, rejected, personsCreated, personsMerged, ...(error ? { stoppedAtRow: error.row } : {}) },
      });
      return finished;
    });

  const commit = async (entries: readonly Entry[]) => {
    if (entries.length === 0) return;
    const from = run.lastCommittedRow;
    const valid = entries.flatMap((entry) => (Array.isArray(entry.parsed) ? [] : [entry.parsed]));
    const invalid = entries.flatMap((entry) => (Array.isArray(entry.parsed) ? entry.parsed : []));
    run = await withTenant(db, tenantId, async (trx) => {
      await lockRunAt(trx, run.id, from);
      const applied = await applyIngestChunk(trx, keys, settings.kind, valid, source);
      const counts = { rowsRead: entries.length, ...applied.counts, rejected: applied.counts.rejected + (entries.length - valid.length) };
      return commitRunChunk(trx, run.id, entries.at(-1)!.row, counts, [...invalid, ...applied.issues].sort((a, b) => a.row - b.row));
    });
    options.onChunk?.(run);
  };

  let chunk: Entry[] = [];
  try {
    for await (const source of rows()) {
      // Rows an earlier run committed are read only to reach the rest.
      if (source.row <= run.lastCommittedRow) continue;
      const entry = { row: source.row, parsed: parseRow(settings.kind, roles, source) };
      if (settings.mode === 'strict' && Array.isArray(entry.parsed)) {
        await commit(chunk);
        const issue = entry.parsed[0]!;
        const failed = await finish('failed', issue);
        const where = `row ${issue.row}${issue.column ? `, column ${issue.column}` : ''}${issue.field ? ` (${issue.field})` : ''}`;
        const kept = failed.lastCommittedRow === 0 ? 'nothing was ingested' : `rows up to ${failed.lastCommittedRow} are ingested, none after them`;
        throw new ImportError('ACCORD_ERR_IMPORT_ROW', `${where}: ${issue.detail}; ${kept}`, { runId: failed.id, lastCommittedRow: failed.lastCommittedRow, ...issue });
      }
      chunk.push(entry);
      if (chunk.length === chunkSize) {
        await commit(chunk);
        chunk = [];
        if (options.signal?.aborted) return run;
      }
    }
    await commit(chunk);
  } catch (error) {
    if (error instanceof ImportError && error.code === 'ACCORD_ERR_IMPORT_HEADER') {
      const issue: IngestIssue = { row: Number(error.extensions.row ?? 1), line: error.extensions.line as number | undefined, reason: 'header', detail: error.message };
      await finish('failed', issue);
      throw new ImportError(error.code, error.message, { runId: run.id, ...error.extensions });
    }
    throw error;
  }
  return finish('completed');
}
