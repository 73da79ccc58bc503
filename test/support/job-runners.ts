/** Job runners on every queue backend: in-process always, BullMQ when Redis is there. */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { inject } from 'vitest';
import type { Database } from '../../core/db/schema.ts';
import { createBullmqRunner } from '../../core/jobs/bullmq-runner.ts';
import { createInProcessRunner } from '../../core/jobs/in-process-runner.ts';
import { exponentialBackoff, type JobProcessors, type JobRunner } from '../../core/jobs/job-runner.ts';

export type QueueBackend = 'in-process' | 'bullmq';

export const queueBackends: QueueBackend[] = inject('redisUrl') ? ['in-process', 'bullmq'] : ['in-process'];

/** A fresh runner with short delays; each BullMQ runner set gets its own key prefix unless one is given. */
export function createTestRunner(
  backend: QueueBackend,
  db: Kysely<Database>,
  processors: JobProcessors,
  options: { prefix?: string; abandonedAfterMs?: number; leaseMs?: number } = {},
): JobRunner {
  const common = { concurrency: 2, pollIntervalMs: 25, abandonedAfterMs: options.abandonedAfterMs ?? 0 };
  if (backend === 'in-process') {
    return createInProcessRunner(db, processors, { ...common, retry: exponentialBackoff(10, 100), ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}) });
  }
  return createBullmqRunner(db, processors, {
    ...common,
    redisUrl: inject('redisUrl')!,
    work: true,
    backoffBaseMs: 10,
    prefix: options.prefix ?? `accord-test-${randomBytes(6).toString('hex')}`,
  });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
