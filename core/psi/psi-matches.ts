/**
 * The matched audience a run released to this node: person ids with the identifier type they matched
 * on, and (PSI with payload) the partner's tag values each match opened. Rows are never changed;
 * erasure alone deletes them (the tables' trigger refuses a delete outside an erasure).
 */
import { sql } from 'kysely';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

const PAGE = 5_000;

export async function storeMatches(trx: TenantTransaction, runId: string, matched: ReadonlyMap<number, string>): Promise<void> {
  const rows = [...matched].map(([person, idType]) => ({ tenant_id: trx.tenantId, run_id: runId, person_id: person, id_type: idType }));
  for (let i = 0; i < rows.length; i += PAGE) await trx.insertInto('psi_matches').values(rows.slice(i, i + PAGE)).execute();
}

/** PSI with payload: the tag values each released match opened, kept beside the match. */
export async function storePayloads(trx: TenantTransaction, runId: string, payloads: ReadonlyMap<number, Uint8Array>): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const rows = [...payloads].flatMap(([person, bytes]) => {
    const payload = parsePayload(decoder, bytes);
    return payload ? [{ tenant_id: trx.tenantId, run_id: runId, person_id: person, payload: JSON.stringify(payload) }] : [];
  });
  for (let i = 0; i < rows.length; i += PAGE) await trx.insertInto('psi_match_payloads').values(rows.slice(i, i + PAGE)).execute();
}

/** A payload is the partner's data: only a JSON object of tag values is kept; anything else is dropped, not trusted. */
function parsePayload(decoder: TextDecoder, bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A page of a run's matches, each with the person it answers through now: its survivor if merged since the run. */
export async function matchedPersons(trx: TenantTransaction, runId: string, page: { after: number; limit: number }) {
  return trx
    .selectFrom('psi_matches as m')
    .innerJoin('persons as pe', (join) => join.onRef('pe.tenant_id', '=', 'm.tenant_id').onRef('pe.id', '=', 'm.person_id'))
    .leftJoin('psi_match_payloads as p', (join) => join.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.run_id', '=', 'm.run_id').onRef('p.person_id', '=', 'm.person_id'))
    .select(['m.person_id', 'm.id_type', 'p.payload', sql<string>`coalesce(pe.merged_into, pe.id)`.as('root')])
    .where('m.run_id', '=', runId)
    .where('m.person_id', '>', page.after)
    .orderBy('m.person_id')
    .limit(page.limit)
    .execute();
}

// `run in (runs)` lets the primary key (run, person) be probed instead of every match scanned.
const runs = (trx: TenantTransaction) => trx.selectFrom('psi_runs').select('id');

/** Erasure: deletes the persons' payloads (before their matches, which they refer to); returns how many. */
export async function erasePayloadsOf(trx: TenantTransaction, personIds: readonly number[]): Promise<number> {
  const deleted = await trx.deleteFrom('psi_match_payloads').where('run_id', 'in', runs(trx)).where('person_id', '=', anyOf(personIds, 'bigint')).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

/** Erasure: deletes the persons' matches; returns how many. */
export async function eraseMatchesOf(trx: TenantTransaction, personIds: readonly number[]): Promise<number> {
  const deleted = await trx.deleteFrom('psi_matches').where('run_id', 'in', runs(trx)).where('person_id', '=', anyOf(personIds, 'bigint')).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
