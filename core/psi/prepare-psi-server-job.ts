/**
 * `psi.prepare-server`: the server's half of step 1 as a job, so blinding a large set does not hold
 * an HTTP request open. A set that cannot be prepared (the collaboration was revoked meanwhile, the
 * purpose is unknown) fails the run; the client sees it in the run's view.
 */
import { z } from 'zod';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';
import type { PsiNode } from './psi-node.ts';
import { closeRun, PREPARE_PSI_SERVER_JOB, prepareServerSet } from './psi-server.ts';

const payloadSchema = z.object({ run: z.uuid() });

export const preparePsiServerJob = (node: PsiNode): JobProcessor => async (job) => {
  const payload = payloadSchema.safeParse(job.payload);
  if (!payload.success) throw new UnrecoverableJobError(`${PREPARE_PSI_SERVER_JOB} needs { run }`);
  const runId = payload.data.run;
  try {
    await prepareServerSet((work) => job.inTenant(work), node, runId);
  } catch (error) {
    if (job.attempt < 3 && !(error as { code?: string }).code) throw error;
    const code = (error as { code?: string }).code ?? 'ACCORD_ERR_INTERNAL';
    await job.inTenant((trx) => closeRun(trx, runId, 'failed', null, `${code}: preparing the set failed: ${(error as Error).message}`.slice(0, 500)));
    throw new UnrecoverableJobError((error as Error).message);
  }
};
