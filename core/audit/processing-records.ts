/**
 * Processing records: one row per run that touched personal data (what, for which purpose, which
 * collaboration, people in and out, when). Callers write it in the transaction that stores the
 * run's result, so a result never exists without its record. Rows are immutable.
 */
import type { NewProcessingRecord } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export async function recordProcessing(trx: TenantTransaction, record: NewProcessingRecord): Promise<string> {
  const { details, ...columns } = record;
  const row = await trx
    .insertInto('processing_records')
    .values({ ...columns, tenant_id: trx.tenantId, details: JSON.stringify(details ?? {}) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const columns = [
  'id',
  'activity',
  'purpose',
  'collaboration_id',
  'actor',
  'subjects_in',
  'subjects_out',
  'started_at',
  'finished_at',
  'details',
] as const;

export async function listProcessingRecords(trx: TenantTransaction, page: { limit: number; purpose?: string | undefined }) {
  let query = trx.selectFrom('processing_records').select(columns).orderBy('finished_at', 'desc').limit(page.limit);
  if (page.purpose) query = query.where('purpose', '=', page.purpose);
  return query.execute();
}

export async function findProcessingRecord(trx: TenantTransaction, id: string) {
  return trx.selectFrom('processing_records').select(columns).where('id', '=', id).executeTakeFirst();
}
