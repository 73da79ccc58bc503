/** Adds a job to the outbox in the caller's transaction; it runs only if that transaction commits. */
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface EnqueueOptions {
  maxAttempts?: number;
  delayMs?: number;
}

export async function enqueueJob(
  trx: TenantTransaction,
  name: string,
  payload: unknown,
  options: EnqueueOptions = {},
): Promise<string> {
  const row = await trx
    .insertInto('jobs')
    .values({
      tenant_id: trx.tenantId,
      name,
      payload: JSON.stringify(payload ?? null),
      max_attempts: options.maxAttempts ?? 5,
      run_at: new Date(Date.now() + (options.delayMs ?? 0)),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
