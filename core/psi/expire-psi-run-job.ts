/**
 * `psi.expire-run`: a server-side run the client abandoned (never finished, never failed) is failed
 * after RUN_LIFETIME_MS, which erases its key and intermediate sets; otherwise a peer could leave
 * prepared sets and sealed keys behind run after run.
 */
import { z } from 'zod';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';
import { requireRun } from './psi-runs.ts';
import { closeRun, EXPIRE_PSI_RUN_JOB, RUN_LIFETIME_MS } from './psi-server.ts';

const payloadSchema = z.object({ run: z.uuid() });

export const expirePsiRunJob: JobProcessor = async (job) => {
  const payload = payloadSchema.safeParse(job.payload);
  if (!payload.success) throw new UnrecoverableJobError(`${EXPIRE_PSI_RUN_JOB} needs { run }`);
  await job.inTenant(async (trx) => {
    const run = await requireRun(trx, payload.data.run, { forUpdate: true });
    if (run.status === 'finished' || run.status === 'failed') return;
    await closeRun(trx, run.id, 'failed', null, `ACCORD_ERR_PSI_RUN_CLOSED: the client did not finish the run within ${RUN_LIFETIME_MS / 3_600_000} hours`);
  });
};
