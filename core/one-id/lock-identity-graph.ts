/**
 * One writer at a time per tenant's identity graph, until the transaction ends. Two batches
 * linking the same unseen identifier, or merging persons the other is reading, would otherwise
 * race; ingest sends its batches one after another anyway, so the lock costs it nothing.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';

export async function lockIdentityGraph(trx: TenantTransaction): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`accord.identity-graph:${trx.tenantId}`}, 0))`.execute(trx);
}
