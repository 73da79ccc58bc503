/**
 * Runs jobs through BullMQ on Redis, so any number of worker processes share the work. The outbox
 * rows in `jobs` are relayed to the queue after their transaction committed; BullMQ owns retries
 * and the row keeps the status for the API. The relay is idempotent: the BullMQ job id is the row id.
 */
import { randomUUID } from 'node:crypto';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { QueueUnreachableError, type JobProcessors, type JobRunner } from './job-runner.ts';
import { redactUrl } from '../db/open-database.ts';
import { executeJob, markCompleted, markFailed, markFailedIfOpen, markForRetry, releaseAbandonedJobs } from './job-store.ts';

export interface BullmqRunnerOptions {
  redisUrl: string;
  concurrency: number;
  /** Relays and consumes jobs; false for an API-only process that just enqueues. */
  work: boolean;
  prefix?: string;
  pollIntervalMs?: number;
  backoffBaseMs?: number;
  abandonedAfterMs: number;
  onOutcome?: (name: string, outcome: 'completed' | 'retry' | 'failed') => void;
}

const QUEUE = 'accord-jobs';
const lockedBy = `bullmq:${randomUUID()}`;
const RELAY_BATCH = 200;
const SHUTDOWN_GRACE_MS = 10_000;

/** Waits for `promise` at most `ms`; a rejection or the timeout both just end the wait. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

interface QueuedJob {
  tenantId: string;
  payload: unknown;
}

export function createBullmqRunner(db: Kysely<Database>, processors: JobProcessors, options: BullmqRunnerOptions): JobRunner {
  const prefix = options.prefix ?? 'accord';
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  // Health checks and the relay's adds fail fast while Redis is away; the worker's blocking
  // connection must instead wait and retry forever (BullMQ requires maxRetriesPerRequest: null).
  const producer = new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  producer.on('error', () => {});
  const consumer = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  consumer.on('error', () => {});
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  let timer: NodeJS.Timeout | undefined;
  let relaying = false;
  let stopped = true;

  /**
   * Moves committed, due outbox rows into the queue, then marks them dispatched. No transaction is
   * held across the Redis call: if Redis refuses, the rows simply stay pending; if two relays race,
   * BullMQ drops the second add because the job id (the row id) already exists.
   */
  async function relay(): Promise<void> {
    if (relaying || stopped || !queue) return;
    relaying = true;
    try {
      let due;
      do {
        due = await db
          .selectFrom('jobs')
          .select(['id', 'tenant_id', 'name', 'payload', 'max_attempts'])
          .where('status', '=', 'pending')
          .where('run_at', '<=', sql<Date>`now()`)
          .orderBy('run_at')
          .limit(RELAY_BATCH)
          .execute();
        if (due.length === 0) break;
        await queue.addBulk(
          due.map((job) => ({
            name: job.name,
            data: { tenantId: job.tenant_id, payload: job.payload } satisfies QueuedJob,
            opts: {
              jobId: job.id,
              attempts: job.max_attempts,
              backoff: { type: 'exponential', delay: options.backoffBaseMs ?? 1_000 },
              removeOnComplete: { age: 86_400 },
              removeOnFail: { age: 7 * 86_400 },
            },
          })),
        );
        await db
          .updateTable('jobs')
          .set({ status: 'dispatched' })
          .where('id', 'in', due.map((job) => job.id))
          .where('status', '=', 'pending')
          .execute();
      } while (due.length === RELAY_BATCH && !stopped);
    } catch {
      // Redis or the database is away; undispatched rows are still pending and the next poll retries.
    } finally {
      relaying = false;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => void relay().finally(schedule), pollIntervalMs);
    timer.unref();
  }

  return {
    kind: 'bullmq',
    async start() {
      if (!stopped) return;
      try {
        await producer.connect().catch(() => {});
        await producer.ping();
      } catch (error) {
        throw new QueueUnreachableError(`cannot reach Redis at ${redactUrl(options.redisUrl)}: ${(error as Error).message}`);
      }
      stopped = false;
      queue = new Queue(QUEUE, { connection: producer, prefix });
      if (!options.work) return;
      await releaseAbandonedJobs(db, options.abandonedAfterMs);
      worker = new Worker<QueuedJob>(
        QUEUE,
        async (job) => {
          const id = job.id!;
          // The database row, not the Redis message, says what runs and for which tenant: whoever can
          // write to Redis must not be able to run work in another tenant. The row also counts attempts
          // across relays (a job taken back from a dead worker is queued anew).
          const row = await db
            .updateTable('jobs')
            .set({ status: 'running', attempts: sql`attempts + 1`, locked_by: lockedBy, locked_at: sql`now()` })
            .where('id', '=', id)
            .where('status', 'not in', ['completed', 'failed'])
            .returning(['tenant_id', 'name', 'payload', 'attempts', 'max_attempts'])
            .executeTakeFirst();
          if (!row) return; // Unknown, or already finished: nothing to run again.
          const { attempts } = row;
          const outcome = await executeJob(db, processors, { id, ...row });
          if (outcome.ok) {
            await markCompleted(db, id, lockedBy);
            options.onOutcome?.(job.name, 'completed');
            return;
          }
          const last = !outcome.retryable || attempts >= row.max_attempts || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          if (last) {
            await markFailed(db, id, lockedBy, outcome.error);
            options.onOutcome?.(job.name, 'failed');
            throw new UnrecoverableError(outcome.error);
          }
          await markForRetry(db, id, lockedBy, outcome.error, null);
          options.onOutcome?.(job.name, 'retry');
          throw new Error(outcome.error);
        },
        { connection: consumer, prefix, concurrency: options.concurrency },
      );
      worker.on('error', () => {});
      // BullMQ can fail a job without calling the processor (stalled too often); record that too.
      worker.on('failed', (job, error) => {
        if (!job?.id) return;
        const final = error.name === 'UnrecoverableError' || /stalled/.test(error.message) || job.attemptsMade >= (job.opts.attempts ?? 1);
        if (final) void markFailedIfOpen(db, job.id, error.message).catch(() => {});
      });
      void relay();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      // Running jobs get a grace period. BullMQ's close can also wait on a blocking Redis call that
      // never returns after a reconnect; past the grace period the connections are dropped, and
      // BullMQ hands any job still active to another worker as stalled.
      if (worker) await settleWithin(worker.close(), SHUTDOWN_GRACE_MS);
      consumer.disconnect();
      if (queue) await settleWithin(queue.close(), SHUTDOWN_GRACE_MS);
      producer.disconnect();
    },
    wake() {
      void relay();
    },
    async ping() {
      await producer.ping();
    },
  };
}


