/** The matched audience a run released to this node: person ids with the identifier type they matched on. */
import type { TenantTransaction } from '../db/tenant-scope.ts';

const PAGE = 5_000;

export async function storeMatches(trx: TenantTransaction, runId: string, matched: ReadonlyMap<number, string>): Promise<void> {
  const rows = [...matched].map(([person, idType]) => ({ tenant_id: trx.tenantId, run_id: runId, person_id: person, id_type: idType }));
  for (let i = 0; i < rows.length; i += PAGE) await trx.insertInto('psi_matches').values(rows.slice(i, i + PAGE)).execute();
}

export async function matchedPersons(trx: TenantTransaction, runId: string, page: { after: number; limit: number }) {
  return trx
    .selectFrom('psi_matches')
    .select(['person_id', 'id_type'])
    .where('run_id', '=', runId)
    .where('person_id', '>', page.after)
    .orderBy('person_id')
    .limit(page.limit)
    .execute();
}
