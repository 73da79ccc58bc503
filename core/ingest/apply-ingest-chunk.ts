/**
 * One chunk of valid ingest rows in the caller's transaction: rows naming an erased person are
 * refused (their identifiers match a suppression tombstone, or one-ID finds the person erased), the
 * rest get their identifiers stored, their persons resolved in one one-ID call for the whole chunk,
 * and their attributes, orders or events written. Nothing of a row is written unless all of it is:
 * the caller commits the chunk, with the run's progress, or nothing.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { upsertIdentifiers } from '../identifiers/identifier-store.ts';
import { suppressedIdentifiers } from '../identifiers/identifier-suppression.ts';
import { resolvePersons } from '../one-id/resolve-persons.ts';
import type { IngestKind } from './ingest-columns.ts';
import type { IngestIssue, ParsedRow } from './ingest-row.ts';
import type { IngestCounts } from './ingest-runs.ts';
import { writeAttributes, writeEvents, writeOrders } from './write-profiles.ts';

export interface ChunkResult {
  readonly counts: Omit<IngestCounts, 'rowsRead'>;
  readonly issues: IngestIssue[];
}

const ERASED = 'this identifier belongs to a person who was erased; the row is refused so the person is not brought back';

export async function applyIngestChunk(trx: TenantTransaction, keys: IdentifierKeys, kind: IngestKind, rows: readonly ParsedRow[], source: string): Promise<ChunkResult> {
  const issues: IngestIssue[] = [];
  const suppressed = await suppressedIdentifiers(trx, rows.flatMap((row) => row.identifiers.map((entry) => entry.identifier)));
  const kept: ParsedRow[] = [];
  let next = 0;
  for (const row of rows) {
    const hit = row.identifiers.find((_, index) => suppressed[next + index]);
    next += row.identifiers.length;
    if (hit) issues.push({ row: row.row, line: row.line, column: hit.column, field: hit.field, reason: 'suppressed', detail: ERASED });
    else kept.push(row);
  }

  const ids = await upsertIdentifiers(trx, keys, kept.flatMap((row) => row.identifiers.map((entry) => entry.identifier)));
  let at = 0;
  const records = kept.map((row) => ({
    identifiers: row.identifiers.map(({ identifier }) => ({ id: ids[at++]!, type: identifier.type, ...(identifier.scope ? { scope: identifier.scope } : {}) })),
  }));
  const resolved = await resolvePersons(trx, records);

  const persons: Array<{ row: ParsedRow; personId: number }> = [];
  kept.forEach((row, index) => {
    const personId = resolved.personIds[index];
    if (personId === null || personId === undefined) issues.push({ row: row.row, line: row.line, reason: 'suppressed', detail: 'the row names a person who was erased; it is refused so the person is not brought back' });
    else persons.push({ row, personId });
  });

  if (kind === 'members') await writeAttributes(trx, persons.map(({ row, personId }) => ({ personId, value: row.attributes })), source, new Date());
  if (kind === 'orders') await writeOrders(trx, persons.map(({ row, personId }) => ({ personId, value: row.order! })));
  if (kind === 'events') await writeEvents(trx, persons.map(({ row, personId }) => ({ personId, value: row.event! })));

  return {
    counts: { applied: persons.length, rejected: rows.length - persons.length, personsCreated: resolved.created, personsMerged: resolved.merged },
    issues,
  };
}
