/**
 * Runs jobs from the `jobs` table inside this process: the default when no REDIS_URL is set.
 * Jobs survive restarts because they live in the database; on Postgres several processes can run
 * this side by side (claims use SKIP LOCKED).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { exponentialBackoff, type JobProcessors, type JobRunner, type RetryPolicy } from './job-runner.ts';
import { claimNextJob, executeJob, markCompleted, markFailed, markForRetry, releaseAbandonedJobs } from './job-store.ts';

export interface InProcessRunnerOptions {
  concurrency: number;
  pollIntervalMs?: number;
  retry?: RetryPolicy;
  /** Running jobs older than this are taken back at start; 0 takes all (only one process can run them). */
  abandonedAfterMs: number;
  onOutcome?: (name: string, outcome: 'completed' | 'retry' | 'failed') => void;
}

export function createInProcessRunner(db: Kysely<Database>, processors: JobProcessors, options: InProcessRunnerOptions): JobRunner {
  const workerId = `in-process:${randomUUID()}`;
  const retry = options.retry ?? exponentialBackoff();
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let filling = false;

  async function runOne(job: NonNullable<Awaited<ReturnType<typeof claimNextJob>>>): Promise<void> {
    const outcome = await executeJob(db, processors, job);
    if (outcome.ok) {
      await markCompleted(db, job.id);
      options.onOutcome?.(job.name, 'completed');
    } else if (outcome.retryable && job.attempts < job.max_attempts) {
      await markForRetry(db, job.id, outcome.error, retry.delayMs(job.attempts));
      options.onOutcome?.(job.name, 'retry');
    } else {
      await markFailed(db, job.id, outcome.error);
      options.onOutcome?.(job.name, 'failed');
    }
  }

  /** Claims jobs until the concurrency limit or the queue is exhausted. */
  async function fill(): Promise<void> {
    if (filling || stopped) return;
    filling = true;
    try {
      while (!stopped && running.size < options.concurrency) {
        const job = await claimNextJob(db, workerId);
        if (!job) break;
        const task: Promise<void> = runOne(job)
          .catch(() => {
            // The outcome could not be written (database away). The job stays `running` and is
            // taken back by the next start's abandoned-job sweep.
          })
          .finally(() => {
            running.delete(task);
            void fill();
          });
        running.add(task);
      }
    } catch {
      // Database unreachable: try again at the next poll.
    } finally {
      filling = false;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void fill().finally(schedule);
    }, pollIntervalMs);
    timer.unref();
  }

  return {
    kind: 'in-process',
    async start() {
      if (!stopped) return;
      stopped = false;
      await releaseAbandonedJobs(db, options.abandonedAfterMs);
      void fill();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all(running);
    },
    wake() {
      void fill();
    },
    async ping() {},
  };
}
