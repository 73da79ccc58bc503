/** New persons of a tenant, in one statement whatever their number. */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';

/** Ids ascend in creation order, as new person -1, -2, … expect. */
export async function createPersons(trx: TenantTransaction, count: number): Promise<number[]> {
  if (count === 0) return [];
  const rows = await sql<{ id: number }>`insert into persons (tenant_id) select ${trx.tenantId}::uuid from generate_series(1, ${count}::int) returning id`.execute(trx);
  return rows.rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}
