/** Reading PSI run rows. */
import type { Selectable } from 'kysely';
import type { PsiRunTable } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { PsiRunError } from './psi-run-error.ts';

export type PsiRun = Selectable<PsiRunTable> & { declared: { peer?: Record<string, number>; own?: number } & Record<string, unknown> };

/** `forUpdate` locks the row: steps that change a run's state take it, so two cannot interleave. */
export async function findRun(trx: TenantTransaction, runId: string, options: { forUpdate?: boolean } = {}): Promise<PsiRun | undefined> {
  const query = trx.selectFrom('psi_runs').selectAll().where('id', '=', runId);
  return (await (options.forUpdate ? query.forUpdate() : query).executeTakeFirst()) as PsiRun | undefined;
}

export async function requireRun(trx: TenantTransaction, runId: string, options: { forUpdate?: boolean } = {}): Promise<PsiRun> {
  const run = await findRun(trx, runId, options);
  if (!run) throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `no PSI run ${runId}`);
  return run;
}
