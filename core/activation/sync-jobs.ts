/**
 * The sync engine's jobs, on the node's job runner (in process, or BullMQ workers sharing them):
 * plan a run (create audiences that need no members, diff each destination against its ledger,
 * queue chunk jobs), send chunks (send-chunk.ts), poll platforms that process uploads later, send
 * removals queued by withdrawals and erasures, follow consent changes, and start scheduled runs.
 */
import type { JobContext, JobProcessors } from '../jobs/job-runner.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError } from '../jobs/job-runner.ts';
import { AccordError } from '../errors.ts';
import { ActivationError } from './activation-errors.ts';
import { DEFAULT_CHUNK, type ActivationDeps } from './activation-deps.ts';
import type { ProcessingStatus } from './audience-connector.ts';
import { platformContextOf } from './platform-session.ts';
import { ACTIVATION_REMOVALS_JOB, CHUNK_ATTEMPTS } from './queue-removals.ts';
import { ACTIVATION_CHUNK_JOB, processChunk, SyncEngine, type ChunkPayload } from './send-chunk.ts';
import { ACTIVATION_CONSENT_JOB, removeWithdrawn } from './follow-withdrawals.ts';
import { ACTIVATION_PLAN_JOB, ACTIVATION_POLL_JOB, ACTIVATION_SCHEDULED_RUN_JOB, outcomeOf, settleRun, startRun } from './sync-runs.ts';
import { planDestination } from './sync-plan.ts';
import { findSync, storePlatformAudience } from './syncs.ts';

const payloadOf = <T>(job: JobContext): T => {
  if (typeof job.payload !== 'object' || job.payload === null) throw new UnrecoverableJobError(`${job.name}: payload is not an object`);
  return job.payload as T;
};

async function planRun(job: JobContext, engine: SyncEngine): Promise<void> {
  const { runId } = payloadOf<{ runId: number }>(job);
  const run = await job.inTenant((trx) => trx.selectFrom('activation_runs').selectAll().where('id', '=', runId).executeTakeFirst());
  if (!run || run.state !== 'planned') return;
  const syncBefore = await job.inTenant((trx) => findSync(trx, Number(run.sync_id)));
  if (!syncBefore) throw new UnrecoverableJobError(`sync ${run.sync_id} is gone`);
  // Audiences the platform creates empty are made before any chunk runs, so chunks never race to create one.
  const failures = new Map<number, string>();
  for (const destination of syncBefore.destinations) {
    if (destination.status !== 'active' || destination.audience) continue;
    const connector = engine.connectorOf(destination);
    if (connector.capabilities.createNeedsMembers) continue;
    try {
      const ctx = await platformContextOf(job, engine.deps, destination);
      const { audience } = await connector.createAudience(ctx, { name: syncBefore.name, idTypes: destination.idTypes, reference: `accord-sync-${syncBefore.id}-${destination.destinationId}` });
      await job.inTenant((trx) => storePlatformAudience(trx, syncBefore.id, destination.destinationId, audience));
    } catch (error) {
      if (error instanceof ActivationError && error.retryable && job.attempt < 10) throw error;
      failures.set(destination.destinationId, error instanceof ActivationError ? `${error.code}: ${error.message}` : String(error));
    }
  }
  const chunkSize = engine.deps.chunkSize ?? DEFAULT_CHUNK;
  await job.inTenant(async (trx) => {
    const locked = await trx.selectFrom('activation_runs').select('state').where('id', '=', runId).forUpdate().executeTakeFirstOrThrow();
    if (locked.state !== 'planned') return;
    const sync = (await findSync(trx, syncBefore.id))!;
    for (const destination of sync.destinations) {
      if (destination.status !== 'active') continue;
      const base = { tenant_id: trx.tenantId, run_id: runId, destination_id: destination.destinationId };
      const failure = failures.get(destination.destinationId);
      if (failure) {
        await trx.insertInto('activation_run_destinations').values({ ...base, state: 'failed', error: failure }).execute();
        continue;
      }
      const connector = engine.connectorOf(destination);
      const plan = await planDestination(trx, engine.deps.gate, sync, destination, 'activation.plan', run.actor);
      const chunks: Array<Pick<ChunkPayload, 'op' | 'personIds' | 'create'>> = [];
      if (connector.capabilities.removal === 'replace') {
        if (plan.adds.length + plan.removes.length > 0) chunks.push({ op: 'replace', personIds: plan.allowed.ids(), create: destination.audience === null });
      } else {
        for (let at = 0; at < plan.adds.length; at += chunkSize) chunks.push({ op: 'add', personIds: plan.adds.slice(at, at + chunkSize), create: at === 0 && destination.audience === null });
        for (let at = 0; at < plan.removes.length; at += chunkSize) chunks.push({ op: 'remove', personIds: plan.removes.slice(at, at + chunkSize) });
      }
      const excluded = plan.excluded.noConsent + plan.excluded.refused + plan.excluded.expired;
      await trx
        .insertInto('activation_run_destinations')
        .values({ ...base, state: chunks.length > 0 ? 'uploading' : 'done', planned_adds: plan.adds.length, planned_removes: plan.removes.length, pending_chunks: chunks.length, consent_excluded: excluded })
        .execute();
      for (const [index, chunk] of chunks.entries()) {
        const payload: ChunkPayload = { runId, chunk: index, syncId: sync.id, destinationId: destination.destinationId, actor: run.actor, ...chunk };
        await enqueueJob(trx, ACTIVATION_CHUNK_JOB, payload, { maxAttempts: CHUNK_ATTEMPTS });
      }
    }
    await trx.updateTable('activation_runs').set({ state: 'uploading' }).where('id', '=', runId).execute();
    await settleRun(trx, runId);
  });
}

/** Asks the platform how its processing of the run's uploads went, until it has finished. */
async function pollRun(job: JobContext, engine: SyncEngine): Promise<void> {
  const { runId, destinationId } = payloadOf<{ runId: number; destinationId: number }>(job);
  const loaded = await job.inTenant(async (trx) => {
    const row = await trx.selectFrom('activation_run_destinations').selectAll().where('run_id', '=', runId).where('destination_id', '=', destinationId).executeTakeFirst();
    const run = await trx.selectFrom('activation_runs').select('sync_id').where('id', '=', runId).executeTakeFirst();
    const sync = run && (await findSync(trx, Number(run.sync_id)));
    return { row, sync };
  });
  const { row, sync } = loaded;
  const destination = sync?.destinations.find((d) => d.destinationId === destinationId);
  if (!row || row.state !== 'processing' || !destination) return;
  const connector = engine.connectorOf(destination);
  const ctx = await platformContextOf(job, engine.deps, destination);
  const statuses: ProcessingStatus[] = [];
  if (connector.status && destination.audience) {
    for (const receipt of row.receipts as string[]) statuses.push(await connector.status(ctx, destination.audience, receipt));
  }
  if (statuses.some((s) => s.state === 'processing')) {
    await job.inTenant((trx) => enqueueJob(trx, ACTIVATION_POLL_JOB, { runId, destinationId }, { delayMs: engine.deps.pollDelayMs ?? 5_000, maxAttempts: 10 }));
    return;
  }
  if (connector.finalize && destination.audience) await connector.finalize(ctx, destination.audience);
  const sum = (pick: (s: ProcessingStatus) => number | undefined) => (statuses.some((s) => pick(s) !== undefined) ? statuses.reduce((total, s) => total + (pick(s) ?? 0), 0) : undefined);
  const ranges = statuses.flatMap((s) => (s.matchRate ? [s.matchRate] : []));
  const match = {
    received: sum((s) => s.received),
    valid: sum((s) => s.valid),
    matched: sum((s) => s.matched),
    matchRate: ranges.length > 0 ? { low: Math.min(...ranges.map((r) => r.low)), high: Math.max(...ranges.map((r) => r.high)) } : undefined,
    failedUploads: statuses.filter((s) => s.state === 'failed').map((s) => s.detail ?? 'failed'),
  };
  const anyFailed = match.failedUploads.length > 0;
  await job.inTenant(async (trx) => {
    const state = anyFailed ? (statuses.every((s) => s.state === 'failed') ? 'failed' : 'partial') : outcomeOf(row);
    await trx
      .updateTable('activation_run_destinations')
      .set({ state, match: JSON.stringify(match), error: anyFailed ? `platform processing failed: ${match.failedUploads.join('; ')}` : row.error })
      .where('run_id', '=', runId)
      .where('destination_id', '=', destinationId)
      .where('state', '=', 'processing')
      .execute();
    await settleRun(trx, runId);
  });
}

/** Sends the removals marked `removing` at one destination, chunk by chunk, until none are left or one makes no progress. */
async function sendQueuedRemovals(job: JobContext, engine: SyncEngine): Promise<void> {
  const { syncId, destinationId } = payloadOf<{ syncId: number; destinationId: number }>(job);
  const chunkSize = engine.deps.chunkSize ?? DEFAULT_CHUNK;
  const sync = await job.inTenant((trx) => findSync(trx, syncId));
  const destination = sync?.destinations.find((d) => d.destinationId === destinationId);
  if (!sync || !destination) return;
  const replaceOnly = engine.connectorOf(destination).capabilities.removal === 'replace';
  const removing = () =>
    job.inTenant(async (trx) => {
      const rows = await trx.selectFrom('activation_members').select('person_id').where('sync_id', '=', syncId).where('destination_id', '=', destinationId).where('state', '=', 'removing').orderBy('person_id').limit(chunkSize).execute();
      return rows.map((row) => Number(row.person_id));
    });
  let left = await removing();
  for (let chunk = 0; left.length > 0; chunk++) {
    let personIds = left;
    if (replaceOnly) {
      // The platform drops members only by replacement: send everyone else it holds, gated again.
      personIds = await job.inTenant(async (trx) => (await trx.selectFrom('activation_members').select('person_id').where('sync_id', '=', syncId).where('destination_id', '=', destinationId).where('state', 'in', ['present', 'kept']).execute()).map((r) => Number(r.person_id)));
    }
    await processChunk(job, engine, { runId: null, chunk, syncId, destinationId, op: replaceOnly ? 'replace' : 'remove', personIds, actor: 'accord:removals' });
    const next = await removing();
    if (next.length >= left.length && next[0] === left[0]) return;
    left = next;
  }
}

async function startScheduledRun(job: JobContext): Promise<void> {
  const { syncId } = payloadOf<{ syncId: number }>(job);
  await job.inTenant(async (trx) => {
    try {
      await startRun(trx, syncId, 'accord:schedule', 'schedule');
    } catch (error) {
      // A sync disabled or emptied since: the schedule ends.
      if (!(error instanceof AccordError)) throw error;
    }
  });
}

export function activationJobProcessors(deps: ActivationDeps): JobProcessors {
  const engine = new SyncEngine(deps);
  return {
    [ACTIVATION_PLAN_JOB]: (job) => planRun(job, engine),
    [ACTIVATION_CHUNK_JOB]: (job) => processChunk(job, engine, payloadOf<ChunkPayload>(job)),
    [ACTIVATION_POLL_JOB]: (job) => pollRun(job, engine),
    [ACTIVATION_REMOVALS_JOB]: (job) => sendQueuedRemovals(job, engine),
    [ACTIVATION_CONSENT_JOB]: (job) => removeWithdrawn(job, engine),
    [ACTIVATION_SCHEDULED_RUN_JOB]: startScheduledRun,
  };
}
