/**
 * Audiences a fake holds: rows of typed ids, each with the person it matched (if any). Ids are
 * issued above 2^53 so any client that lets one pass through a JS number breaks visibly.
 * Removal takes out every row that shares an id with a removal row, as platforms match removals.
 */
import { ContractViolation } from './contract-violation.ts';

export interface FakeRow {
  /** `TYPE:value` for each id in the row. */
  readonly ids: readonly string[];
  readonly person: number | undefined;
}

export interface FakeAudience {
  readonly id: string;
  readonly name: string;
  readonly idTypes: readonly string[];
  readonly rows: Map<string, FakeRow>;
  /** Platform-specific state (Ocean Engine publish status, Tencent outer_audience_id ...). */
  readonly extra: Record<string, unknown>;
}

const FIRST_ID = 2n ** 53n + 1n;

export class FakeAudiences {
  private readonly all = new Map<string, FakeAudience>();
  private next = FIRST_ID;

  /** A fresh id above 2^53, for audiences and for anything else the platform numbers (files, jobs). */
  newId(): string {
    const id = this.next;
    this.next += 1_000_003n;
    return String(id);
  }

  create(name: string, idTypes: readonly string[], extra: Record<string, unknown> = {}): FakeAudience {
    const audience = { id: this.newId(), name, idTypes, rows: new Map(), extra };
    this.all.set(audience.id, audience);
    return audience;
  }

  list(): FakeAudience[] {
    return [...this.all.values()];
  }

  find(predicate: (audience: FakeAudience) => boolean): FakeAudience | undefined {
    return this.list().find(predicate);
  }

  get(id: string): FakeAudience {
    const audience = this.all.get(id);
    if (!audience) throw new ContractViolation('not_found', `no audience ${id}`);
    return audience;
  }

  size(id: string): number | undefined {
    return this.all.get(id)?.rows.size;
  }

  matched(audience: FakeAudience): number {
    return new Set([...audience.rows.values()].map((row) => row.person).filter((person) => person !== undefined)).size;
  }

  add(audience: FakeAudience, rows: readonly FakeRow[]): void {
    for (const row of rows) audience.rows.set(row.ids.join('\n'), row);
  }

  remove(audience: FakeAudience, rows: readonly FakeRow[]): void {
    for (const key of this.overlapping(audience, rows)) audience.rows.delete(key);
  }

  /** The size after removing `rows`, without removing them. */
  sizeAfterRemoving(audience: FakeAudience, rows: readonly FakeRow[]): number {
    return audience.rows.size - this.overlapping(audience, rows).size;
  }

  /** The size after adding `rows`, without adding them. */
  sizeAfterAdding(audience: FakeAudience, rows: readonly FakeRow[]): number {
    return new Set([...audience.rows.keys(), ...rows.map((row) => row.ids.join('\n'))]).size;
  }

  private overlapping(audience: FakeAudience, rows: readonly FakeRow[]): Set<string> {
    const gone = new Set(rows.flatMap((row) => row.ids));
    return new Set([...audience.rows].filter(([, row]) => row.ids.some((id) => gone.has(id))).map(([key]) => key));
  }
}
