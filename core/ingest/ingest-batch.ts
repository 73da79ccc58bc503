/**
 * Ingests a JSON batch (the API's body): the same records as NDJSON lines, at most 10,000, through
 * the same pipeline. The batch's identity is the hash of its canonical JSON, so a retried batch
 * changes nothing.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { canonicalJson } from '../../crypto/canonical-json.ts';
import type { Database } from '../db/schema.ts';
import { AccordError } from '../errors.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import type { IngestKind } from './ingest-columns.ts';
import type { IngestMode, IngestRun } from './ingest-runs.ts';
import { jsonSourceRow } from './ingest-sources.ts';
import { runIngest } from './run-ingest.ts';

export const MAX_BATCH_RECORDS = 10_000;

export async function ingestBatch(
  db: Kysely<Database>,
  keys: IdentifierKeys,
  tenantId: string,
  kind: IngestKind,
  records: readonly unknown[],
  options: { mode?: IngestMode | undefined; actor: string },
): Promise<IngestRun> {
  if (records.length === 0 || records.length > MAX_BATCH_RECORDS) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `a batch has 1 to ${MAX_BATCH_RECORDS} records`);
  const canonical = canonicalJson(records);
  return runIngest(
    db,
    keys,
    tenantId,
    { kind, contentHash: createHash('sha256').update(canonical).digest(), format: 'json', encoding: 'utf-8', mode: options.mode ?? 'strict', bytes: Buffer.byteLength(canonical), actor: options.actor },
    async function* () {
      for (let i = 0; i < records.length; i++) yield jsonSourceRow(i + 1, undefined, records[i]);
    },
    { chunkSize: MAX_BATCH_RECORDS },
  );
}
