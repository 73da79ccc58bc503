/**
 * The ingest pipeline shared by files and JSON batches: rows are checked as they stream, a chunk
 * of them at a time goes through one transaction that applies the chunk and moves the run's last
 * committed row, so a run that stops resumes after its last chunk when the same content comes
 * again, and content already ingested changes nothing. Strict mode stops at the first invalid row
 * (a bad cell, or a registration consent the ledger refuses), after committing the rows before it;
 * lenient mode reports invalid rows and goes on. Rows of erased people are refused in both modes:
 * that is not a fault of the file.
 *
 * Chunks are pipelined: while one chunk's transaction runs, the next is read, checked and sealed
 * (prepared-chunk.ts), so the database and the per-identifier cryptography work at the same time;
 * large files seal in a worker thread (identifier-sealer.ts), so reading, sealing and the database
 * each get a core. At most one chunk is in flight and one being filled, which bounds memory; chunks
 * still commit one after another, in file order.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { Database } from '../db/schema.ts';
import { isSingleSession } from '../db/single-session.ts';
import { withTenant } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { ImportError, type ImportErrorCode } from '../consent/import/import-errors.ts';
import { applyIngestChunk } from './apply-ingest-chunk.ts';
import { ColumnRoles } from './ingest-columns.ts';
import { parseRow, type IngestIssue, type SourceRow } from './ingest-row.ts';
import { commitRunChunk, finishRun, lockRunAt, openRun, type IngestRun, type RunSettings } from './ingest-runs.ts';
import { inlineSealer, workerSealer } from './identifier-sealer.ts';
import { PreparedChunk } from './prepared-chunk.ts';

export interface IngestOptions {
  /** Rows per transaction; by default DEFAULT_INGEST_CHUNK, or EMBEDDED_INGEST_CHUNK on a single-session database. */
  chunkSize?: number | undefined;
  /** Checked between chunks: an aborted run stops after its last committed chunk, resumable. */
  signal?: AbortSignal | undefined;
  onChunk?: ((run: IngestRun) => void) | undefined;
  /** Seal identifiers in a worker thread; by default only content of WORKER_SEALING_BYTES or more does. */
  sealInWorker?: boolean | undefined;
}

export const DEFAULT_INGEST_CHUNK = 20000;
/**
 * On embedded PGlite a chunk's transaction holds the node's only session: 250 rows take some tens
 * of milliseconds there, so a consent check arriving meanwhile waits no longer than that, where a
 * chunk of 20,000 would keep it waiting seconds (bench/responsiveness-bench.ts).
 */
export const EMBEDDED_INGEST_CHUNK = 250;
const MAX_INGEST_CHUNK = 50_000;
/** Below this, starting the sealing thread (a few hundred milliseconds) costs more than it saves. */
export const WORKER_SEALING_BYTES = 2 * 1024 * 1024;
/**
 * Rows read between two turns of the event loop. Reading a buffered file resolves promises only,
 * which would starve the in-flight transaction: its next statement waits for a macrotask turn.
 */
const ROWS_PER_TURN = 64;
/**
 * File errors after which nothing more can be read, by the reason the run records: the run fails
 * (in either mode) after its last committed chunk, as a strict run does at an invalid row. The
 * chunk being filled is not committed: the reading stopped inside it.
 */
const unreadableFileReasons: Partial<Record<ImportErrorCode, string>> = {
  ACCORD_ERR_IMPORT_HEADER: 'header',
  ACCORD_ERR_IMPORT_LINE_TOO_LONG: 'line_too_long',
};

/** The chunk being filled: every row read (for counts and the checkpoint), the valid ones prepared. */
interface Chunk {
  readonly prepared: PreparedChunk;
  readonly invalid: IngestIssue[];
  rowsRead: number;
  lastRow: number;
}

export async function runIngest(
  db: Kysely<Database>,
  keys: IdentifierKeys,
  tenantId: string,
  settings: RunSettings,
  rows: () => AsyncIterable<SourceRow>,
  options: IngestOptions = {},
): Promise<IngestRun> {
  const chunkSize = options.chunkSize ?? (isSingleSession(db) ? EMBEDDED_INGEST_CHUNK : DEFAULT_INGEST_CHUNK);
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_INGEST_CHUNK) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `chunk size must be 1 to ${MAX_INGEST_CHUNK}`);
  const opened = await withTenant(db, tenantId, (trx) => openRun(trx, settings));
  if (opened.done) return opened.run;
  let run = opened.run;
  const source = `ingest:${run.id}`;
  const roles = new ColumnRoles(settings.kind);
  const sealer = (options.sealInWorker ?? settings.bytes >= WORKER_SEALING_BYTES) ? workerSealer(keys, tenantId) : inlineSealer(keys, tenantId);

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

  /** A strict run meets an invalid row: it fails there, the rows before it committed. */
  const stopAt = async (issue: IngestIssue): Promise<never> => {
    const failed = await finish('failed', issue);
    const where = `row ${issue.row}${issue.column ? `, column ${issue.column}` : ''}${issue.field ? ` (${issue.field})` : ''}`;
    const kept = failed.lastCommittedRow === 0 ? 'nothing was ingested' : `rows up to ${failed.lastCommittedRow} are ingested, none after them`;
    throw new ImportError('ACCORD_ERR_IMPORT_ROW', `${where}: ${issue.detail}; ${kept}`, { runId: failed.id, lastCommittedRow: failed.lastCommittedRow, ...issue });
  };

  const newChunk = (): Chunk => ({ prepared: new PreparedChunk(sealer), invalid: [], rowsRead: 0, lastRow: 0 });
  const commit = async (chunk: Chunk) => {
    if (chunk.rowsRead === 0) return;
    // Sealed before the transaction opens, so the transaction never waits for the sealer.
    await chunk.prepared.sealed();
    const from = run.lastCommittedRow;
    let stoppedAt: IngestIssue | undefined;
    run = await withTenant(db, tenantId, async (trx) => {
      await lockRunAt(trx, run.id, from);
      const applied = await applyIngestChunk(trx, settings.kind, chunk.prepared, source, settings.mode);
      stoppedAt = applied.stoppedAt;
      // A strict chunk that stopped commits its rows before the stop (a strict chunk holds no invalid row).
      const counts = stoppedAt
        ? { rowsRead: applied.counts.applied + applied.counts.rejected, ...applied.counts }
        : { rowsRead: chunk.rowsRead, ...applied.counts, rejected: applied.counts.rejected + (chunk.rowsRead - chunk.prepared.rows.length) };
      return commitRunChunk(trx, run.id, stoppedAt ? stoppedAt.row - 1 : chunk.lastRow, counts, [...chunk.invalid, ...applied.issues].sort((a, b) => a.row - b.row));
    });
    options.onChunk?.(run);
    if (stoppedAt) await stopAt(stoppedAt);
  };
  // The chunk whose transaction runs while the next one fills; its failure surfaces at the next await.
  let inFlight: Promise<void> = Promise.resolve();
  const dispatch = (chunk: Chunk) => {
    inFlight = commit(chunk);
    inFlight.catch(() => {});
  };

  const resumeAfter = run.lastCommittedRow;
  let chunk = newChunk();
  let sinceTurn = 0;
  try {
    for await (const source of rows()) {
      // Rows an earlier run committed are read only to reach the rest.
      if (source.row <= resumeAfter) continue;
      const parsed = parseRow(settings.kind, roles, source);
      if (settings.mode === 'strict' && Array.isArray(parsed)) {
        await inFlight;
        await commit(chunk);
        await stopAt(parsed[0]!);
      }
      if (Array.isArray(parsed)) chunk.invalid.push(...parsed);
      else chunk.prepared.add(parsed);
      chunk.rowsRead += 1;
      chunk.lastRow = source.row;
      if (chunk.rowsRead === chunkSize) {
        await inFlight;
        // Stopping here leaves the run after its last committed chunk, resumable.
        if (options.signal?.aborted) return run;
        dispatch(chunk);
        chunk = newChunk();
      }
      if (++sinceTurn === ROWS_PER_TURN) {
        sinceTurn = 0;
        await nextTurn();
      }
    }
    await inFlight;
    await commit(chunk);
  } catch (error) {
    // A chunk still in flight ends before the run does, whatever stopped the reading.
    await inFlight.catch(() => {});
    const reason = error instanceof ImportError ? unreadableFileReasons[error.code] : undefined;
    if (error instanceof ImportError && reason) {
      const line = error.extensions.line as number | undefined;
      const issue: IngestIssue = { row: Number(error.extensions.row ?? line ?? 1), line, reason, detail: error.message };
      const failed = await finish('failed', issue);
      throw new ImportError(error.code, error.message, { runId: run.id, lastCommittedRow: failed.lastCommittedRow, ...error.extensions });
    }
    throw error;
  } finally {
    await sealer.close();
  }
  return finish('completed');
}
