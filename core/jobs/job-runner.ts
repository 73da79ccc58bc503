/**
 * The job port. Work is enqueued as a row in `jobs` inside the transaction that caused it (an
 * outbox): it exists only if that transaction commits. A runner then executes it, in process
 * (no REDIS_URL) or through BullMQ workers that any number of processes share.
 * Delivery is at least once: a processor must be safe to run again for the same job.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface JobContext {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly payload: unknown;
  /** 1 on the first try. */
  readonly attempt: number;
  /** Runs work in a transaction scoped to the job's tenant. */
  inTenant<T>(work: (trx: TenantTransaction) => Promise<T>): Promise<T>;
}

export type JobProcessor = (job: JobContext) => Promise<void>;
export type JobProcessors = Readonly<Record<string, JobProcessor>>;

/** Thrown by a processor when retrying cannot help (bad payload, missing data): the job fails at once. */
export class UnrecoverableJobError extends Error {
  readonly code = 'ACCORD_ERR_JOB_UNRECOVERABLE';
}

export class QueueUnreachableError extends Error {
  readonly code = 'ACCORD_ERR_QUEUE_UNREACHABLE';
}

export interface JobRunner {
  readonly kind: 'in-process' | 'bullmq';
  start(): Promise<void>;
  /** Stops taking jobs and waits for the ones running. */
  stop(): Promise<void>;
  /** Looks for new work now instead of at the next poll; call after a commit that enqueued jobs. */
  wake(): void;
  /** Rejects while the queue backend cannot be reached. */
  ping(): Promise<void>;
}

export interface RetryPolicy {
  /** Delay before attempt n+1 after attempt n failed. */
  delayMs(attempt: number): number;
}

export const exponentialBackoff = (baseMs = 1_000, maxMs = 300_000): RetryPolicy => ({
  delayMs: (attempt) => Math.min(maxMs, baseMs * 2 ** (attempt - 1)),
});
