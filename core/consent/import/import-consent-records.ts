/**
 * Imports existing consent records from a CSV or NDJSON file through the ledger writer, streaming,
 * a chunk of rows per transaction: the chunk's events and the import's progress commit together,
 * so a run that dies resumes after the last committed chunk when the same file is sent again, and
 * a file already imported appends nothing. Strict mode stops at the first bad row and writes
 * nothing of its chunk; lenient mode reports bad rows and goes on. A dry run does everything a run
 * does, ledger checks included, in transactions that are rolled back: only the report is kept.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { ConsentError } from '../../../consent/consent-errors.ts';
import { decideState, type ConsentDecision } from '../../../consent/decide-state.ts';
import { canonicalTimeZone } from '../../../consent/quiet-hours.ts';
import { recordAuditEvent } from '../../audit/audit-log.ts';
import type { Database } from '../../db/schema.ts';
import { withTenant, type TenantTransaction } from '../../db/tenant-scope.ts';
import { AccordError } from '../../errors.ts';
import { csvRecords, isBlankRecord } from '../../files/csv-records.ts';
import { decodeTextFile, scanTextFile, type TextEncoding } from '../../files/text-file.ts';
import { textLines } from '../../files/text-lines.ts';
import { MAX_EVENTS_PER_BATCH, recordConsentEvent, recordConsentEvents, type ConsentEventInput, type RecordedEvent } from '../record-consent-event.ts';
import { commitImportChunk, finishImport, lockImportAt, openImport, type ImportCounts, type ImportFormat, type ImportMode, type ImportSummary } from './consent-imports.ts';
import { FileConflicts } from './file-conflicts.ts';
import { ImportError } from './import-errors.ts';
import { checkCsvHeader, rowFromCsv, rowFromNdjson, type CsvHeader, type ImportedRow, type NoticeRef, type RowContext, type RowIssue } from './import-row.ts';

export interface ImportOptions {
  format: ImportFormat;
  /** Detected when absent: UTF-8 with a BOM or valid throughout, GB18030 otherwise. */
  encoding?: TextEncoding | undefined;
  /** IANA zone for collection times written without a UTC offset; without it they are refused. */
  timeZone?: string | undefined;
  mode?: ImportMode | undefined;
  dryRun?: boolean | undefined;
  actor: string;
  /** Rows per transaction. */
  chunkSize?: number | undefined;
  /** Checked between chunks: an aborted import stops after its last committed chunk, resumable. */
  signal?: AbortSignal | undefined;
  onChunk?: ((summary: ImportSummary) => void) | undefined;
}

export const DEFAULT_IMPORT_CHUNK = 500;

interface Entry {
  row: number;
  imported: ImportedRow | undefined;
  issues: RowIssue[];
}

const hasError = (entry: Entry) => entry.issues.some((issue) => issue.severity === 'error');

/** A strict import meets a bad row: the chunk's transaction rolls back. */
class StopAtRow extends Error {
  constructor(readonly issue: RowIssue) {
    super(issue.detail);
  }
}

/** Ends a dry run's transaction, carrying out what it found. */
class DryRunRollback extends Error {
  constructor(readonly result: unknown) {
    super('dry run');
  }
}

export async function importConsentRecords(db: Kysely<Database>, tenantId: string, path: string, options: ImportOptions): Promise<ImportSummary> {
  const timeZone = options.timeZone === undefined ? undefined : canonicalTimeZone(options.timeZone);
  if (options.timeZone !== undefined && !timeZone) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${JSON.stringify(options.timeZone)} is not an IANA time zone`);
  const chunkSize = options.chunkSize ?? DEFAULT_IMPORT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_EVENTS_PER_BATCH) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `chunk size must be 1 to ${MAX_EVENTS_PER_BATCH}`);
  const mode = options.mode ?? 'strict';
  const dryRun = options.dryRun ?? false;

  const scanned = await scanTextFile(path);
  const encoding = options.encoding ?? scanned.detectedEncoding;
  const opened = await withTenant(db, tenantId, (trx) =>
    openImport(trx, { contentHash: scanned.sha256, format: options.format, encoding, timeZone, mode, dryRun, actor: options.actor }),
  );
  if (opened.done) return opened.summary;
  let summary = opened.summary;
  const context: RowContext = { importId: summary.id, timeZone };
  const finish = (status: 'completed' | 'failed', error?: RowIssue, newIssues: RowIssue[] = []) =>
    withTenant(db, tenantId, async (trx) => {
      const finished = await finishImport(trx, summary.id, status, error, newIssues);
      const { id, rowsRead, appended, duplicates, skipped, conflicts, unchanged } = finished;
      await recordAuditEvent(trx, {
        actor: options.actor,
        action: dryRun ? 'consent.import.dry_run' : `consent.import.${status}`,
        targetType: 'consent_import',
        targetId: id,
        details: { rowsRead, appended, duplicates, skipped, conflicts, unchanged, ...(error ? { stoppedAtRow: error.row } : {}) },
      });
      return finished;
    });

  const conflicts = new FileConflicts();
  let chunk: Entry[] = [];
  // A dry run goes through every row; in strict mode it names the row a real run would stop at.
  let firstError: RowIssue | undefined;
  const flush = async () => {
    const entries = chunk;
    chunk = [];
    if (entries.length === 0) return;
    summary = await applyChunk(db, tenantId, summary, entries, { dryRun, stopOnError: mode === 'strict' && !dryRun });
    firstError ??= entries.flatMap((entry) => entry.issues).find((issue) => issue.severity === 'error');
    options.onChunk?.(summary);
  };

  try {
    for await (const { row, parsed } of importRows(path, options.format, encoding, context)) {
      const entry: Entry = Array.isArray(parsed) ? { row, imported: undefined, issues: parsed } : { row, imported: parsed, issues: conflicts.see(parsed) };
      // Rows committed by an earlier run were read only to know the file's earlier rows.
      if (row <= summary.lastCommittedRow) continue;
      chunk.push(entry);
      if (chunk.length === chunkSize) {
        await flush();
        if (options.signal?.aborted) return summary;
      }
    }
    await flush();
  } catch (error) {
    if (error instanceof StopAtRow) {
      const failed = await finish('failed', error.issue, [error.issue]);
      const { issue } = error;
      const where = `row ${issue.row}${issue.column ? `, column ${issue.column}` : ''}${issue.field ? ` (${issue.field})` : ''}`;
      const kept = failed.lastCommittedRow === 0 ? 'nothing was imported' : `rows up to ${failed.lastCommittedRow} are imported, none after them`;
      throw new ImportError('ACCORD_ERR_IMPORT_ROW', `${where}: ${issue.detail}; ${kept}`, {
        importId: failed.id,
        lastCommittedRow: failed.lastCommittedRow,
        ...issue,
      });
    }
    if (error instanceof ImportError) {
      const issue: RowIssue = { row: Number(error.extensions.row ?? 0), line: error.extensions.line as number | undefined, column: error.extensions.column as number | undefined, severity: 'error', reason: 'header', detail: error.message };
      await finish('failed', issue, [issue]);
      throw new ImportError(error.code, error.message, { importId: summary.id, ...error.extensions });
    }
    throw error;
  }
  return finish('completed', dryRun && mode === 'strict' ? firstError : undefined);
}

async function* importRows(path: string, format: ImportFormat, encoding: TextEncoding, context: RowContext): AsyncGenerator<{ row: number; parsed: ImportedRow | RowIssue[] }> {
  const text = decodeTextFile(path, encoding);
  if (format === 'ndjson') {
    for await (const { line, text: json } of textLines(text)) {
      if (json.trim() !== '') yield { row: line, parsed: rowFromNdjson(line, json, context) };
    }
    return;
  }
  let header: CsvHeader | undefined;
  for await (const record of csvRecords(text)) {
    if (isBlankRecord(record)) continue;
    if (!header) header = checkCsvHeader(record);
    else yield { row: record.row, parsed: rowFromCsv(record, header, context) };
  }
  if (!header) throw new ImportError('ACCORD_ERR_IMPORT_HEADER', 'the file is empty; a CSV import starts with a header row naming its columns');
}

/** One chunk in one transaction (rolled back for a dry run, whose report commits on its own). */
async function applyChunk(
  db: Kysely<Database>,
  tenantId: string,
  summary: ImportSummary,
  entries: Entry[],
  how: { dryRun: boolean; stopOnError: boolean },
): Promise<ImportSummary> {
  const from = summary.lastCommittedRow;
  const to = entries.at(-1)!.row;
  if (!how.dryRun) {
    return withTenant(db, tenantId, async (trx) => {
      await lockImportAt(trx, summary.id, from);
      const counts = await recordEntries(trx, entries, how.stopOnError);
      return commitImportChunk(trx, summary.id, from, to, counts, entries.flatMap((entry) => entry.issues));
    });
  }
  const counts = await inRolledBackTransaction(db, tenantId, (trx) => recordEntries(trx, entries, false));
  return withTenant(db, tenantId, (trx) => commitImportChunk(trx, summary.id, from, to, counts, entries.flatMap((entry) => entry.issues)));
}

async function inRolledBackTransaction<T>(db: Kysely<Database>, tenantId: string, work: (trx: TenantTransaction) => Promise<T>): Promise<T> {
  try {
    return await withTenant<never>(db, tenantId, async (trx) => {
      throw new DryRunRollback(await work(trx));
    });
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result as T;
    throw error;
  }
}

/** Which row field a ledger refusal is about, so the report can name its column. */
export const fieldOfCode: Partial<Record<string, string>> = {
  ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE: 'purpose',
  ACCORD_ERR_CONSENT_UNKNOWN_NOTICE: 'noticeId',
  ACCORD_ERR_CONSENT_NOTICE_DISABLED: 'noticeId',
  ACCORD_ERR_CONSENT_NOTICE_SCOPE: 'noticeId',
  ACCORD_ERR_CONSENT_RECIPIENT: 'recipient',
  ACCORD_ERR_CONSENT_COLLECTED_AT: 'collectedAt',
  ACCORD_ERR_CONSENT_MINOR: 'kind',
  ACCORD_ERR_CONSENT_EVIDENCE: 'evidence',
  ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH: 'clientEventId',
  ACCORD_ERR_CONSENT_SUPPRESSED: 'subject',
};

/** A refusal that concerns one row's values (the ledger's own, or a value Postgres cannot store). */
const isRowRefusal = (error: unknown): error is Error & { code: string } =>
  error instanceof ConsentError || (typeof (error as { code?: unknown }).code === 'string' && /^22[0-9A-Z]{3}$/.test((error as { code: string }).code));

function refusalIssue(row: ImportedRow, error: Error & { code: string }): RowIssue {
  const field = fieldOfCode[error.code] ?? (error instanceof ConsentError ? undefined : 'row');
  const conflict = error.code === 'ACCORD_ERR_CONSENT_DUPLICATE_MISMATCH';
  return {
    row: row.row,
    line: row.line,
    column: field === undefined ? undefined : row.columnOf(field === 'noticeId' && row.notice && 'key' in row.notice ? 'noticeKey' : field),
    field,
    severity: 'error',
    reason: conflict ? 'ledger_conflict' : error instanceof ConsentError ? error.code : 'invalid_value',
    detail: conflict ? 'the ledger holds this clientEventId with other content' : error.message,
    clientEventId: row.input.clientEventId,
  };
}

/** Appends the chunk's good rows through the ledger writer and classifies every row. */
async function recordEntries(trx: TenantTransaction, entries: Entry[], stopOnError: boolean): Promise<ImportCounts> {
  const refuse = (entry: Entry, issue: RowIssue) => {
    if (stopOnError) throw new StopAtRow(issue);
    entry.issues.push(issue);
  };
  if (stopOnError) {
    const first = entries.flatMap((entry) => entry.issues).find((issue) => issue.severity === 'error');
    if (first) throw new StopAtRow(first);
  }
  const notices = new Map<string, Promise<string | undefined>>();
  const ready: Array<{ entry: Entry; row: ImportedRow; input: ConsentEventInput }> = [];
  for (const entry of entries) {
    if (!entry.imported || hasError(entry)) continue;
    const row = entry.imported;
    const noticeId = row.notice && (await noticeIdOf(trx, notices, row.notice));
    if (row.notice && !noticeId) {
      refuse(entry, refusalIssue(row, new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_NOTICE', `no notice ${describeNotice(row.notice)}`)));
      continue;
    }
    ready.push({ entry, row, input: { ...row.input, noticeId } });
  }

  const before = await decisionsBefore(trx, ready.map(({ input }) => input));
  const recorded = await recordAttributed(trx, ready, refuse);
  const counts: ImportCounts = { rowsRead: entries.length, appended: 0, duplicates: 0, skipped: 0, conflicts: 0, unchanged: 0 };
  recorded.forEach((event, index) => {
    if (!event) return;
    const { entry, input } = ready[index]!;
    if (event.duplicate) {
      counts.duplicates += 1;
      return;
    }
    counts.appended += 1;
    const key = stateKeyOf(input);
    const current = before.get(key);
    const next = decideState(current, { seq: event.seq, kind: input.kind, collectedAt: input.collectedAt }, null);
    if (next !== current) before.set(key, next);
    else {
      counts.unchanged += 1;
      entry.issues.push({
        row: entry.row,
        line: entry.imported?.line,
        column: entry.imported?.columnOf('collectedAt'),
        field: 'collectedAt',
        severity: 'warning',
        reason: 'no_state_change',
        detail: `recorded, but the current decision (${current!.decidedKind} collected ${current!.decidedAt.toISOString()}, event ${current!.decidedBySeq}) stays: this row is older or loses the tie`,
        clientEventId: input.clientEventId,
      });
    }
  });
  for (const entry of entries) {
    if (hasError(entry)) counts.skipped += 1;
    if (entry.issues.some((issue) => issue.reason === 'file_conflict' || issue.reason === 'ledger_conflict')) counts.conflicts += 1;
  }
  return counts;
}

/**
 * The whole batch in one call of the ledger writer (one chain-head lock); if the ledger refuses it,
 * row by row under savepoints, to name each refused row and keep the others.
 */
async function recordAttributed(
  trx: TenantTransaction,
  ready: ReadonlyArray<{ entry: Entry; row: ImportedRow; input: ConsentEventInput }>,
  refuse: (entry: Entry, issue: RowIssue) => void,
): Promise<Array<RecordedEvent | undefined>> {
  if (ready.length === 0) return [];
  await sql`savepoint consent_import_batch`.execute(trx);
  try {
    const recorded = await recordConsentEvents(trx, ready.map(({ input }) => input));
    await sql`release savepoint consent_import_batch`.execute(trx);
    return recorded;
  } catch (error) {
    if (!isRowRefusal(error)) throw error;
    await sql`rollback to savepoint consent_import_batch`.execute(trx);
  }
  const recorded: Array<RecordedEvent | undefined> = [];
  for (const { entry, row, input } of ready) {
    await sql`savepoint consent_import_row`.execute(trx);
    try {
      recorded.push(await recordConsentEvent(trx, input));
      await sql`release savepoint consent_import_row`.execute(trx);
    } catch (error) {
      if (!isRowRefusal(error)) throw error;
      await sql`rollback to savepoint consent_import_row`.execute(trx);
      refuse(entry, refusalIssue(row, error));
      recorded.push(undefined);
    }
  }
  return recorded;
}

const describeNotice = (notice: NoticeRef) => ('id' in notice ? notice.id : `${notice.key} v${notice.version} (${notice.language})`);

/** The id of the notice version a row cites, looked up once per batch (`cache`). */
export async function noticeIdOf(trx: TenantTransaction, cache: Map<string, Promise<string | undefined>>, notice: NoticeRef): Promise<string | undefined> {
  if ('id' in notice) return notice.id;
  const key = `${notice.key}\0${notice.version}\0${notice.language}`;
  let found = cache.get(key);
  if (!found) {
    found = trx
      .selectFrom('consent_notices')
      .select('id')
      .where('notice_key', '=', notice.key)
      .where('version', '=', notice.version)
      .where('language', '=', notice.language)
      .executeTakeFirst()
      .then((row) => row?.id);
    cache.set(key, found);
  }
  return found;
}

const stateKeyOf = (input: ConsentEventInput) => [input.subject.normalize('NFC'), input.purpose, (input.recipient ?? '').normalize('NFC'), input.regime].join('\0');

/** The decisions in force before the chunk for the keys its rows touch. */
async function decisionsBefore(trx: TenantTransaction, inputs: readonly ConsentEventInput[]): Promise<Map<string, ConsentDecision>> {
  const decisions = new Map<string, ConsentDecision>();
  if (inputs.length === 0) return decisions;
  const rows = await trx
    .selectFrom('consent_state')
    .select(['subject', 'purpose', 'recipient', 'regime', 'granted', 'decided_by_seq', 'decided_kind', 'decided_at', 'expires_at'])
    .where('subject', 'in', [...new Set(inputs.map((input) => input.subject.normalize('NFC')))])
    .where('purpose', 'in', [...new Set(inputs.map((input) => input.purpose))])
    .execute();
  for (const row of rows) {
    decisions.set([row.subject, row.purpose, row.recipient, row.regime].join('\0'), {
      granted: row.granted,
      decidedBySeq: row.decided_by_seq,
      decidedKind: row.decided_kind as ConsentDecision['decidedKind'],
      decidedAt: row.decided_at,
      expiresAt: row.expires_at,
    });
  }
  return decisions;
}
