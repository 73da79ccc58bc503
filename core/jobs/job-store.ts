/**
 * SQL over the `jobs` table shared by both runners. Runners work across tenants, so these queries
 * run as the owning role; a job's own work runs tenant-scoped (JobContext.inTenant).
 */
import { sql, type Kysely } from 'kysely';
import type { Database, Job } from '../db/schema.ts';
import { withTenant } from '../db/tenant-scope.ts';
import type { JobContext, JobProcessors } from './job-runner.ts';
import { UnrecoverableJobError } from './job-runner.ts';

/** Claims the oldest due pending job for this worker; concurrent workers never get the same job. */
export async function claimNextJob(db: Kysely<Database>, workerId: string): Promise<Job | undefined> {
  return db
    .updateTable('jobs')
    .set({ status: 'running', attempts: sql`attempts + 1`, locked_by: workerId, locked_at: sql`now()` })
    .where(
      'id',
      '=',
      (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('status', '=', 'pending')
          .where('run_at', '<=', sql<Date>`now()`)
          .orderBy('run_at')
          .limit(1)
          .forUpdate()
          .skipLocked() as never,
    )
    .returningAll()
    .executeTakeFirst();
}

// Outcomes are written only by the worker that holds the job: one whose lease was taken back (and
// the job handed to another worker) must not overwrite what the new holder records.

export async function markCompleted(db: Kysely<Database>, id: string, workerId: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'completed', finished_at: sql`now()`, locked_by: null, locked_at: null, last_error: null })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .execute();
}

export async function markFailed(db: Kysely<Database>, id: string, workerId: string, error: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'failed', finished_at: sql`now()`, locked_by: null, locked_at: null, last_error: error })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .execute();
}

/** For failures decided outside any worker (BullMQ giving up on a stalled job). */
export async function markFailedIfOpen(db: Kysely<Database>, id: string, error: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'failed', finished_at: sql`now()`, locked_by: null, locked_at: null, last_error: error })
    .where('id', '=', id)
    .where('status', 'not in', ['completed', 'failed'])
    .execute();
}

export async function markForRetry(db: Kysely<Database>, id: string, workerId: string, error: string, delayMs: number | null): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      // A null delay means another system (BullMQ) schedules the retry; the row only records the failure.
      status: delayMs === null ? 'dispatched' : 'pending',
      run_at: delayMs === null ? sql`run_at` : sql`now() + ${delayMs} * interval '1 millisecond'`,
      locked_by: null,
      locked_at: null,
      last_error: error,
    })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .execute();
}

/** Keeps the lease of jobs this worker is running, so sweeps do not take them back. */
export async function renewLeases(db: Kysely<Database>, ids: string[], workerId: string): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('jobs').set({ locked_at: sql`now()` }).where('id', 'in', ids).where('locked_by', '=', workerId).execute();
}

/**
 * Returns jobs left `running` by a worker that died. `olderThanMs: 0` takes back every running job,
 * which is right only where no other process can be running them (embedded PGlite).
 */
export async function releaseAbandonedJobs(db: Kysely<Database>, olderThanMs: number): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'pending', locked_by: null, locked_at: null })
    .where('status', '=', 'running')
    .where('locked_at', '<=', sql<Date>`now() - ${olderThanMs} * interval '1 millisecond'`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function findJob(db: Kysely<Database>, id: string): Promise<Job | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export type JobOutcome = { ok: true } | { ok: false; error: string; retryable: boolean };

/** Runs one job's processor and says how it went; never throws. */
export async function executeJob(
  db: Kysely<Database>,
  processors: JobProcessors,
  job: Pick<Job, 'id' | 'tenant_id' | 'name' | 'payload' | 'attempts'>,
): Promise<JobOutcome> {
  const processor = processors[job.name];
  if (!processor) return { ok: false, error: `no processor for job "${job.name}"`, retryable: false };
  const context: JobContext = {
    id: job.id,
    tenantId: job.tenant_id,
    name: job.name,
    payload: job.payload,
    attempt: job.attempts,
    inTenant: (work) => withTenant(db, job.tenant_id, work),
  };
  try {
    await processor(context);
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, retryable: !(error instanceof UnrecoverableJobError) };
  }
}
