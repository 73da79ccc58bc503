/**
 * Runs jobs from the `jobs` table inside this process: the default when no REDIS_URL is set.
 * Jobs survive restarts because they live in the database. On Postgres several processes can run
 * this side by side: claims use SKIP LOCKED, a running job's lease is renewed while it runs, and
 * jobs whose lease lapsed (their worker died) are taken back by whichever runner sweeps next.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, Job } from '../db/schema.ts';
import { exponentialBackoff, type JobProcessors, type JobRunner, type RetryPolicy } from './job-runner.ts';
import { claimNextJob, executeJob, markCompleted, markFailed, markForRetry, releaseAbandonedJobs, renewLeases } from './job-store.ts';

export interface InProcessRunnerOptions {
  concurrency: number;
  pollIntervalMs?: number;
  retry?: RetryPolicy;
  /** Running jobs older than this are taken back at start; 0 takes all (only one process can run them). */
  abandonedAfterMs: number;
  /** A running job whose lease is older than this is presumed abandoned; leases are renewed at a third of it. */
  leaseMs?: number;
  onOutcome?: (name: string, outcome: 'completed' | 'retry' | 'failed') => void;
}

const DEFAULT_LEASE_MS = 10 * 60_000;

export function createInProcessRunner(db: Kysely<Database>, processors: JobProcessors, options: InProcessRunnerOptions): JobRunner {
  const workerId = `in-process:${randomUUID()}`;
  const retry = options.retry ?? exponentialBackoff();
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let leaseTimer: NodeJS.Timeout | undefined;
  let filling: Promise<void> | undefined;
  let stopped = true;

  async function runOne(job: Job): Promise<void> {
    const outcome = await executeJob(db, processors, job);
    if (outcome.ok) {
      await markCompleted(db, job.id, workerId);
      options.onOutcome?.(job.name, 'completed');
    } else if (outcome.retryable && job.attempts < job.max_attempts) {
      await markForRetry(db, job.id, workerId, outcome.error, retry.delayMs(job.attempts));
      options.onOutcome?.(job.name, 'retry');
    } else {
      await markFailed(db, job.id, workerId, outcome.error);
      options.onOutcome?.(job.name, 'failed');
    }
  }

  /** Claims jobs until the concurrency limit or the queue is exhausted. */
  async function claimWhileRoom(): Promise<void> {
    try {
      while (!stopped && running.size < options.concurrency) {
        const job = await claimNextJob(db, workerId);
        if (!job) break;
        const task = runOne(job)
          .catch(() => {
            // The outcome could not be written (database away). The job stays `running` until its
            // lease lapses and a sweep takes it back.
          })
          .finally(() => {
            running.delete(job.id);
            fill();
          });
        running.set(job.id, task);
      }
    } catch {
      // Database unreachable: try again at the next poll.
    }
  }

  function fill(): void {
    if (stopped || filling) return;
    filling = claimWhileRoom().finally(() => (filling = undefined));
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      fill();
      schedule();
    }, pollIntervalMs);
    timer.unref();
  }

  async function keepLeases(): Promise<void> {
    await renewLeases(db, [...running.keys()], workerId).catch(() => {});
    await releaseAbandonedJobs(db, leaseMs).catch(() => {});
  }

  return {
    kind: 'in-process',
    async start() {
      if (!stopped) return;
      await releaseAbandonedJobs(db, options.abandonedAfterMs);
      stopped = false;
      fill();
      schedule();
      leaseTimer = setInterval(() => void keepLeases(), leaseMs / 3);
      leaseTimer.unref();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(leaseTimer);
      // A claim in flight may still add a job; wait for it, then for everything running.
      await filling;
      while (running.size > 0) await Promise.all(running.values());
    },
    wake() {
      fill();
    },
    async ping() {},
  };
}
