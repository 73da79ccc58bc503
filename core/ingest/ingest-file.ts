/**
 * Ingests a members, orders or events file (CSV or NDJSON, UTF-8 or GB18030) of any size: one pass
 * hashes it (its identity: the same file again resumes or changes nothing) and detects the
 * encoding, a second streams it through the pipeline a chunk at a time.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { scanTextFile, type TextEncoding } from '../files/text-file.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import type { IngestKind } from './ingest-columns.ts';
import type { IngestMode, IngestRun } from './ingest-runs.ts';
import { fileSourceRows } from './ingest-sources.ts';
import { runIngest, type IngestOptions } from './run-ingest.ts';

export interface IngestFileOptions extends IngestOptions {
  format: 'csv' | 'ndjson';
  /** Detected when absent: UTF-8 with a BOM or valid throughout, GB18030 otherwise. */
  encoding?: TextEncoding | undefined;
  mode?: IngestMode | undefined;
  actor: string;
  /** Hears the bytes read so far and the file's size, for a progress bar. */
  onBytes?: ((bytesRead: number, bytes: number) => void) | undefined;
}

export async function ingestFile(db: Kysely<Database>, keys: IdentifierKeys, tenantId: string, kind: IngestKind, path: string, options: IngestFileOptions): Promise<IngestRun> {
  const scanned = await scanTextFile(path);
  const encoding = options.encoding ?? scanned.detectedEncoding;
  const onBytes = options.onBytes && ((bytesRead: number) => options.onBytes!(bytesRead, scanned.bytes));
  return runIngest(
    db,
    keys,
    tenantId,
    { kind, contentHash: scanned.sha256, format: options.format, encoding, mode: options.mode ?? 'strict', bytes: scanned.bytes, actor: options.actor },
    () => fileSourceRows(path, kind, options.format, encoding, onBytes),
    options,
  );
}
