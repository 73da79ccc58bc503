/**
 * One chunk of valid ingest rows, sealed beforehand (prepared-chunk.ts), in the caller's
 * transaction: rows naming an erased person are refused (their identifiers match a suppression
 * tombstone, or one-ID finds the person erased), and so are rows whose registration consent the
 * ledger would refuse (in strict mode the chunk stops at the first of those, as the run stops at
 * a bad cell); the rest get their identifiers stored, their persons resolved in one one-ID call
 * for the whole chunk, their attributes, orders or events written and their registration consents
 * recorded by the ledger's writer. Nothing of a row is written unless all of it is: the caller
 * commits the chunk, with the run's progress, or nothing.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { storeIdentifiers } from '../identifiers/identifier-store.ts';
import { suppressedAmongHashes } from '../identifiers/identifier-suppression.ts';
import { resolvePersons } from '../one-id/resolve-persons.ts';
import type { IngestKind } from './ingest-columns.ts';
import type { IngestIssue, ParsedRow } from './ingest-row.ts';
import type { IngestCounts, IngestMode } from './ingest-runs.ts';
import { prepareRegistrationConsents } from './prepare-registration-consents.ts';
import type { PreparedChunk, PreparedIdentifier, PreparedRow } from './prepared-chunk.ts';
import { writeAttributes, writeEvents, writeOrders } from './write-profiles.ts';

export interface ChunkResult {
  /** Of the rows considered: all of the chunk's, or in strict mode those before `stoppedAt`. */
  readonly counts: Omit<IngestCounts, 'rowsRead'>;
  readonly issues: IngestIssue[];
  /** Strict mode: the row whose consent was refused; nothing of it or after it is written. */
  readonly stoppedAt?: IngestIssue | undefined;
}

const ERASED = 'this identifier belongs to a person who was erased; the row is refused so the person is not brought back';

export async function applyIngestChunk(trx: TenantTransaction, kind: IngestKind, chunk: PreparedChunk, source: string, mode: IngestMode): Promise<ChunkResult> {
  const consents = await prepareRegistrationConsents(trx, chunk.rows.map((row) => row.parsed), source);
  const stoppedAt = mode === 'strict' ? [...consents.refused.values()].sort((a, b) => a.row - b.row)[0] : undefined;
  const considered = stoppedAt ? chunk.rows.filter((row) => row.parsed.row < stoppedAt.row) : chunk.rows;
  const issues: IngestIssue[] = [];
  const distinct = [...chunk.identifiers()];
  const flags = await suppressedAmongHashes(
    trx,
    distinct.map((identifier) => identifier.tombstones),
  );
  const suppressed = new Set<PreparedIdentifier>(distinct.filter((_, index) => flags[index]));
  const kept: PreparedRow[] = [];
  for (const row of considered) {
    const hit = row.identifiers.findIndex((identifier) => suppressed.has(identifier));
    const consent = consents.refused.get(row.parsed);
    if (consent) issues.push(consent);
    else if (hit < 0) kept.push(row);
    else {
      const { column, field } = row.parsed.identifiers[hit]!;
      issues.push({ row: row.parsed.row, line: row.parsed.line, column, field, reason: 'suppressed', detail: ERASED });
    }
  }

  const stored = await storeIdentifiers(
    trx,
    kept.flatMap((row) => row.identifiers),
  );
  let at = 0;
  const records = kept.map((row) => ({
    identifiers: row.identifiers.map(({ identifier }) => ({ id: stored.ids[at++]!, type: identifier.type, ...(identifier.scope ? { scope: identifier.scope } : {}) })),
  }));
  const resolved = await resolvePersons(trx, records, { newIdentifierIds: stored.created });

  const persons: Array<{ row: ParsedRow; personId: number }> = [];
  kept.forEach(({ parsed }, index) => {
    const personId = resolved.personIds[index];
    if (personId === null || personId === undefined) issues.push({ row: parsed.row, line: parsed.line, reason: 'suppressed', detail: 'the row names a person who was erased; it is refused so the person is not brought back' });
    else persons.push({ row: parsed, personId });
  });

  if (kind === 'members') await writeAttributes(trx, persons.map(({ row, personId }) => ({ personId, value: row.attributes })), source, new Date());
  if (kind === 'orders') await writeOrders(trx, persons.map(({ row, personId }) => ({ personId, value: row.order! })));
  if (kind === 'events') await writeEvents(trx, persons.map(({ row, personId }) => ({ personId, value: row.event! })));
  await consents.record(persons);

  return {
    counts: { applied: persons.length, rejected: considered.length - persons.length, personsCreated: resolved.created, personsMerged: resolved.merged },
    issues,
    stoppedAt,
  };
}
