/**
 * A destination's platform context for one job: its credentials opened from the sealed store for
 * the job's duration, and refreshed credentials sealed back as soon as a connector obtains them.
 */
import type { JobContext } from '../jobs/job-runner.ts';
import type { ActivationDeps } from './activation-deps.ts';
import type { Credentials } from './credentials.ts';
import { destinationCredentials, storeRefreshedCredentials } from './destinations.ts';
import type { PlatformContext } from './platform-context.ts';

export async function platformContextOf(job: Pick<JobContext, 'inTenant'>, deps: ActivationDeps, destination: { destinationId: number; platform: string; accountId: string }): Promise<PlatformContext> {
  let current: Credentials = await job.inTenant((trx) => destinationCredentials(trx, deps.masterKey, destination.destinationId));
  return {
    accountId: destination.accountId,
    baseUrl: deps.connectors.baseUrlOf(destination.platform),
    timeoutMs: deps.timeoutMs,
    credentials: {
      current: () => current,
      refreshed: async (next) => {
        current = next;
        await job.inTenant((trx) => storeRefreshedCredentials(trx, deps.masterKey, destination.destinationId, next));
      },
    },
  };
}
