/**
 * Runs of a sync: planned → uploading → processing → done / partial / failed, overall and per
 * destination. At most one run of a sync is open (a partial unique index): starting one while
 * another is open joins it instead of doubling the work. A destination settles when its last chunk
 * is done (and, where the platform processes uploads later, when its receipts are); the run settles
 * when every destination has.
 */
import { sql } from 'kysely';
import type { ActivationState } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError, notFound } from '../errors.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { requireSync } from './syncs.ts';

export const ACTIVATION_PLAN_JOB = 'activation.plan';
export const ACTIVATION_POLL_JOB = 'activation.poll';
export const ACTIVATION_SCHEDULED_RUN_JOB = 'activation.scheduled-run';

const OPEN: readonly ActivationState[] = ['planned', 'uploading', 'processing'];
const TERMINAL: ReadonlySet<ActivationState> = new Set(['done', 'partial', 'failed']);

export interface RunDestinationView {
  readonly destinationId: number;
  readonly state: ActivationState;
  readonly plannedAdds: number;
  readonly plannedRemoves: number;
  readonly added: number;
  readonly removed: number;
  readonly consentExcluded: number;
  readonly deadLettered: number;
  readonly keptForMinimumSize: number;
  readonly requests: number;
  /** What the platform reported after processing: audience size, matched count, match rate where given. */
  readonly match: unknown;
  readonly error: string | null;
}

export interface RunView {
  readonly id: number;
  readonly syncId: number;
  readonly trigger: 'manual' | 'schedule';
  readonly state: ActivationState;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
  readonly destinations: RunDestinationView[];
}

/** Starts a run of the sync, or joins the one already open: `joined` says which. */
export async function startRun(trx: TenantTransaction, syncId: number, actor: string, trigger: 'manual' | 'schedule' = 'manual'): Promise<{ run: RunView; joined: boolean }> {
  const sync = await requireSync(trx, syncId);
  if (sync.status !== 'active') throw new AccordError('ACCORD_ERR_CONFLICT', `sync ${syncId} is disabled`);
  if (sync.destinations.every((d) => d.status !== 'active')) throw new AccordError('ACCORD_ERR_CONFLICT', `sync ${syncId} has no active destination`);
  const inserted = await trx
    .insertInto('activation_runs')
    .values({ tenant_id: trx.tenantId, sync_id: syncId, trigger, state: 'planned', actor })
    .onConflict((oc) => oc.columns(['tenant_id', 'sync_id']).where('state', 'in', [...OPEN]).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const open = await trx.selectFrom('activation_runs').select('id').where('sync_id', '=', syncId).where('state', 'in', [...OPEN]).executeTakeFirstOrThrow();
    return { run: (await findRun(trx, Number(open.id)))!, joined: true };
  }
  await enqueueJob(trx, ACTIVATION_PLAN_JOB, { runId: Number(inserted.id) }, { maxAttempts: 10 });
  return { run: (await findRun(trx, Number(inserted.id)))!, joined: false };
}

export async function findRun(trx: TenantTransaction, runId: number): Promise<RunView | undefined> {
  const run = await trx.selectFrom('activation_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!run) return undefined;
  const destinations = await trx.selectFrom('activation_run_destinations').selectAll().where('run_id', '=', runId).orderBy('destination_id').execute();
  return {
    id: Number(run.id),
    syncId: Number(run.sync_id),
    trigger: run.trigger,
    state: run.state,
    error: run.error,
    createdAt: run.created_at,
    finishedAt: run.finished_at,
    destinations: destinations.map((d) => ({
      destinationId: Number(d.destination_id),
      state: d.state,
      plannedAdds: d.planned_adds,
      plannedRemoves: d.planned_removes,
      added: d.added,
      removed: d.removed,
      consentExcluded: d.consent_excluded,
      deadLettered: d.dead_lettered,
      keptForMinimumSize: d.kept_min_size,
      requests: d.requests,
      match: d.match ?? null,
      error: d.error,
    })),
  };
}

export async function requireRun(trx: TenantTransaction, runId: number): Promise<RunView> {
  const run = await findRun(trx, runId);
  if (!run) throw notFound(`sync run ${runId}`);
  return run;
}

export async function listRuns(trx: TenantTransaction, syncId: number): Promise<RunView[]> {
  await requireSync(trx, syncId);
  const rows = await trx.selectFrom('activation_runs').select('id').where('sync_id', '=', syncId).orderBy('id', 'desc').limit(100).execute();
  const runs: RunView[] = [];
  for (const row of rows) runs.push((await findRun(trx, Number(row.id)))!);
  return runs;
}

export interface DeadLetter {
  readonly personId: number;
  readonly destinationId: number;
  readonly op: string;
  readonly reason: string;
  readonly detail: string;
  readonly at: Date;
}

export async function runDeadLetters(trx: TenantTransaction, runId: number): Promise<DeadLetter[]> {
  const rows = await trx.selectFrom('activation_dead_letters').selectAll().where('run_id', '=', runId).orderBy('id').limit(10_000).execute();
  return rows.map((row) => ({ personId: Number(row.person_id), destinationId: Number(row.destination_id), op: row.op, reason: row.reason, detail: row.detail, at: row.created_at }));
}

/** A destination's state once its uploads are over, from what happened to its rows. */
export function outcomeOf(row: { added: number; removed: number; dead_lettered: number; kept_min_size: number; planned_adds: number; planned_removes: number; error: string | null }): ActivationState {
  const planned = row.planned_adds + row.planned_removes;
  if (row.error !== null && row.added + row.removed === 0 && planned > 0) return 'failed';
  if (row.error !== null || row.dead_lettered > 0 || row.kept_min_size > 0) return 'partial';
  return 'done';
}

/** Called after a chunk: when it was the destination's last, moves it on to processing or its outcome. */
export async function settleDestination(trx: TenantTransaction, runId: number, destinationId: number, waitsForPlatform: boolean): Promise<void> {
  const row = await trx.selectFrom('activation_run_destinations').selectAll().where('run_id', '=', runId).where('destination_id', '=', destinationId).executeTakeFirstOrThrow();
  if (row.pending_chunks > 0 || TERMINAL.has(row.state) || row.state === 'processing') return;
  const receipts = row.receipts as string[];
  if (waitsForPlatform && row.error === null && (receipts.length > 0 || row.added + row.removed > 0)) {
    await trx.updateTable('activation_run_destinations').set({ state: 'processing' }).where('run_id', '=', runId).where('destination_id', '=', destinationId).execute();
    await enqueueJob(trx, ACTIVATION_POLL_JOB, { runId, destinationId }, { maxAttempts: 10 });
  } else {
    await trx.updateTable('activation_run_destinations').set({ state: outcomeOf(row) }).where('run_id', '=', runId).where('destination_id', '=', destinationId).execute();
  }
  await settleRun(trx, runId);
}

/** The run's state from its destinations'; a scheduled sync queues its next run when one finishes. */
export async function settleRun(trx: TenantTransaction, runId: number): Promise<void> {
  const rows = await trx.selectFrom('activation_run_destinations').select('state').where('run_id', '=', runId).execute();
  const states = rows.map((row) => row.state);
  let state: ActivationState;
  if (states.some((s) => s === 'planned' || s === 'uploading')) state = 'uploading';
  else if (states.some((s) => s === 'processing')) state = 'processing';
  else if (states.length > 0 && states.every((s) => s === 'failed')) state = 'failed';
  else if (states.every((s) => s === 'done')) state = 'done';
  else state = 'partial';
  const updated = await trx
    .updateTable('activation_runs')
    .set({ state, finished_at: TERMINAL.has(state) ? sql<Date>`now()` : null })
    .where('id', '=', runId)
    .where('state', 'in', [...OPEN])
    .returning('sync_id')
    .executeTakeFirst();
  if (updated && TERMINAL.has(state)) {
    const sync = await trx.selectFrom('activation_syncs').select(['schedule_seconds', 'status']).where('id', '=', updated.sync_id).executeTakeFirstOrThrow();
    if (sync.schedule_seconds && sync.status === 'active') await enqueueJob(trx, ACTIVATION_SCHEDULED_RUN_JOB, { syncId: Number(updated.sync_id) }, { delayMs: sync.schedule_seconds * 1000 });
  }
}

export async function failRun(trx: TenantTransaction, runId: number, error: string): Promise<void> {
  await trx.updateTable('activation_runs').set({ state: 'failed', error, finished_at: sql<Date>`now()` }).where('id', '=', runId).where('state', 'in', [...OPEN]).execute();
}
