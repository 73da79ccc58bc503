/**
 * Rows of one file that contradict each other: the same clientEventId with other content (an
 * error: the ledger would refuse the second), or the same subject, purpose, recipient, regime and
 * collection time with another kind (a warning: both are kept and the denial wins the tie).
 * Remembers one 16-byte digest per row, not the rows, so it scales with the row count only.
 */
import { createHash } from 'node:crypto';
import type { ImportedRow, RowIssue } from './import-row.ts';

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('base64').slice(0, 22);

export class FileConflicts {
  private readonly byEventId = new Map<string, { row: number; content: string }>();
  private readonly byMoment = new Map<string, { row: number; kind: string }>();

  /** Issues of `row` against the rows seen before it. */
  see(row: ImportedRow): RowIssue[] {
    const { input } = row;
    const at = { row: row.row, line: row.line, clientEventId: input.clientEventId };
    const subject = input.subject.normalize('NFC');
    const recipient = (input.recipient ?? '').normalize('NFC');
    const moment = digest(subject, input.purpose, recipient, input.regime, String(input.collectedAt.getTime()));
    const issues: RowIssue[] = [];
    if (row.idGiven) {
      const id = digest(input.clientEventId.normalize('NFC'));
      const content = digest(moment, input.kind);
      const earlier = this.byEventId.get(id);
      if (!earlier) this.byEventId.set(id, { row: row.row, content });
      else if (earlier.content !== content) {
        return [{ ...at, column: row.columnOf('clientEventId'), field: 'clientEventId', severity: 'error', reason: 'file_conflict', detail: `clientEventId is also used by row ${earlier.row} with other content` }];
      }
    }
    const earlier = this.byMoment.get(moment);
    if (!earlier) this.byMoment.set(moment, { row: row.row, kind: input.kind });
    else if (earlier.kind !== input.kind) {
      issues.push({ ...at, column: row.columnOf('kind'), field: 'kind', severity: 'warning', reason: 'file_conflict', detail: `row ${earlier.row} records ${earlier.kind} for the same subject, purpose, recipient, regime and time; both are kept and a denial wins the tie` });
    }
    return issues;
  }
}
