/** Reading PSI run rows. */
import type { Selectable } from 'kysely';
import type { PsiRunTable } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { PsiRunError } from './psi-run-error.ts';

export type PsiRun = Selectable<PsiRunTable> & { declared: { peer?: Record<string, number>; own?: number } & Record<string, unknown> };

export async function findRun(trx: TenantTransaction, runId: string): Promise<PsiRun | undefined> {
  return (await trx.selectFrom('psi_runs').selectAll().where('id', '=', runId).executeTakeFirst()) as PsiRun | undefined;
}

export async function requireRun(trx: TenantTransaction, runId: string): Promise<PsiRun> {
  const run = await findRun(trx, runId);
  if (!run) throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `no PSI run ${runId}`);
  return run;
}
