/**
 * One chunk of a run (or of queued removals) at one destination, as a job several workers share:
 * re-gate the persons for the sync's purpose immediately before sending (a person withdrawn since
 * the plan leaves in no later batch), prepare their ids in the platform's form, send them
 * (send-batch.ts), and write the outcome in one transaction: the ledger, dead letters with reasons,
 * the run's counters. Adds are gated again after they are written: a withdrawal that committed while
 * the batch was on its way finds the person in the ledger or is found here, and queues the removal.
 * Removals send the ids sealed in the ledger, only of members Accord added, and none the platform
 * would refuse for its minimum size: those members are marked `kept` instead.
 */
import { sql } from 'kysely';
import { ActivationError } from './activation-errors.ts';
import type { ActivationDeps } from './activation-deps.ts';
import type { AudienceConnector, AudienceRef } from './audience-connector.ts';
import type { PreparedMember } from './identifier-profile.ts';
import { memberInputs } from './member-inputs.ts';
import { platformContextOf } from './platform-session.ts';
import { recordDestinationRemovals } from './activation-erasure.ts';
import { ACTIVE_STATES, CHUNK_ATTEMPTS, lockSentMembers, queueRemovals } from './queue-removals.ts';
import { defaultSendPolicy, sendMembers, type Call, type SendResult } from './send-batch.ts';
import { SentIdSealer } from './sent-ids.ts';
import { settleDestination } from './sync-runs.ts';
import { gateForSync } from './sync-plan.ts';
import { findSync, storePlatformAudience, type Sync, type SyncDestination } from './syncs.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobContext } from '../jobs/job-runner.ts';

export const ACTIVATION_CHUNK_JOB = 'activation.chunk';

export interface ChunkPayload {
  /** Null for removals queued by a withdrawal or an erasure, outside any run. */
  readonly runId: number | null;
  readonly chunk: number;
  readonly syncId: number;
  readonly destinationId: number;
  readonly op: 'add' | 'remove' | 'replace';
  readonly personIds: readonly number[];
  /** The chunk that creates the platform audience, where the platform creates it from its first members. */
  readonly create?: boolean;
  readonly actor: string;
  /** Times this chunk was put off because the platform asked for a longer wait than a worker holds. */
  readonly deferrals?: number;
}

/** A chunk is put off at most this many times for a platform's long waits before its rows are dead-lettered. */
const MAX_DEFERRALS = 10;

interface Dead {
  readonly personId: number;
  readonly reason: string;
  readonly detail: string;
}

export class SyncEngine {
  readonly keys: IdentifierKeys;
  readonly sealer: SentIdSealer;

  constructor(readonly deps: ActivationDeps) {
    this.keys = new IdentifierKeys(deps.masterKey);
    this.sealer = new SentIdSealer(deps.masterKey);
  }

  connectorOf(destination: SyncDestination): AudienceConnector {
    const connector = this.deps.connectors.find(destination.connector);
    if (!connector) throw new UnrecoverableJobError(`this node has no ${destination.connector} connector`);
    return connector;
  }
}

export async function processChunk(job: JobContext, engine: SyncEngine, payload: ChunkPayload): Promise<void> {
  const loaded = await job.inTenant(async (trx) => {
    const sync = await findSync(trx, payload.syncId);
    const destination = sync?.destinations.find((d) => d.destinationId === payload.destinationId);
    const runDestination = payload.runId === null ? undefined : await trx.selectFrom('activation_run_destinations').select(['state', 'done_chunks']).where('run_id', '=', payload.runId).where('destination_id', '=', payload.destinationId).executeTakeFirst();
    return { sync, destination, runDestination };
  });
  const { sync, destination, runDestination } = loaded;
  if (!sync || !destination) throw new UnrecoverableJobError(`sync ${payload.syncId} or its destination ${payload.destinationId} is gone`);
  if (payload.runId !== null && (!runDestination || runDestination.state !== 'uploading' || (runDestination.done_chunks as number[]).includes(payload.chunk))) return;
  const connector = engine.connectorOf(destination);
  const dead: Dead[] = [];
  let excluded = 0;
  let members: PreparedMember[] = [];
  try {
    if (payload.op === 'remove') {
      members = await job.inTenant((trx) => sentMembers(trx, engine, sync, destination, payload.personIds));
    } else {
      const gated = await job.inTenant((trx) => gatedMembers(trx, engine, sync, destination, payload));
      members = gated.members;
      excluded = gated.excluded;
      dead.push(...gated.dead);
    }
    const result = await send(job, engine, connector, sync, destination, payload, members);
    await job.inTenant((trx) => writeOutcome(trx, engine, connector, sync, destination, payload, { result, dead, excluded, error: null }));
  } catch (error) {
    const policy = engine.deps.policy ?? defaultSendPolicy;
    const deferrals = payload.deferrals ?? 0;
    if (error instanceof ActivationError && error.retryable && (error.retryAfterMs ?? 0) > policy.maxWaitMs && deferrals < MAX_DEFERRALS) {
      // The platform asked for a longer wait than a worker should sit through: the chunk runs again then.
      await job.inTenant((trx) => enqueueJob(trx, job.name, { ...payload, deferrals: deferrals + 1 }, { delayMs: error.retryAfterMs, maxAttempts: CHUNK_ATTEMPTS }));
      return;
    }
    const finalTry = job.attempt >= CHUNK_ATTEMPTS || (error instanceof ActivationError && !error.retryable) || error instanceof UnrecoverableJobError;
    if (!finalTry) throw error;
    const code = error instanceof ActivationError ? error.code : 'ACCORD_ERR_ACTIVATION_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    const unsent = members.length > 0 ? members.map((m) => Number(m.key)) : payload.personIds;
    const failed = unsent.map((personId) => ({ personId, reason: code, detail: message }));
    await job.inTenant((trx) => writeOutcome(trx, engine, connector, sync, destination, payload, { result: undefined, dead: [...dead, ...failed], excluded, error: `${code}: ${message}` }));
  }
}

/** Adds (and replacements) gated now, prepared in the platform's form; members with no usable id are dead-lettered. */
async function gatedMembers(trx: TenantTransaction, engine: SyncEngine, sync: Sync, destination: SyncDestination, payload: ChunkPayload) {
  const connector = engine.connectorOf(destination);
  const allowed = await gateForSync(trx, engine.deps.gate, sync, destination, payload.personIds, 'activation.upload', payload.actor, { runId: payload.runId, op: payload.op });
  const inputs = await memberInputs(trx, engine.keys, allowed, sync.purpose);
  const members: PreparedMember[] = [];
  const dead: Dead[] = [];
  for (const input of inputs) {
    const prepared = connector.identifiers.prepare(input, destination.idTypes);
    if (prepared.ok) members.push(prepared.member);
    else dead.push({ personId: Number(input.key), reason: 'no_usable_identifier', detail: prepared.refused.map((r) => `${r.type}: ${r.reason}`).join('; ') || 'no identifier of the types this audience holds' });
  }
  return { members, dead, excluded: payload.personIds.length - allowed.size };
}

/** What was sent for these persons, from the ledger; only members Accord added. */
async function sentMembers(trx: TenantTransaction, engine: SyncEngine, sync: Sync, destination: SyncDestination, personIds: readonly number[]): Promise<PreparedMember[]> {
  if (personIds.length === 0) return [];
  const rows = await trx
    .selectFrom('activation_members')
    .select(['person_id', 'ids_sealed'])
    .where('sync_id', '=', sync.id)
    .where('destination_id', '=', destination.destinationId)
    .where('state', 'in', [...ACTIVE_STATES])
    .where('person_id', 'in', [...personIds])
    .orderBy('person_id')
    .execute();
  return rows
    .filter((row) => row.ids_sealed !== null)
    .map((row) => {
      const personId = Number(row.person_id);
      return { key: String(personId), ids: engine.sealer.open({ tenantId: trx.tenantId, syncId: sync.id, destinationId: destination.destinationId, personId }, row.ids_sealed!) };
    });
}

async function send(job: JobContext, engine: SyncEngine, connector: AudienceConnector, sync: Sync, destination: SyncDestination, payload: ChunkPayload, members: PreparedMember[]): Promise<SendResult> {
  const empty: SendResult = { accepted: [], rejected: [], tooSmall: [], receipts: [], requests: 0 };
  if (members.length === 0) return empty;
  const minimum = connector.capabilities.minimumSize;
  if (payload.op === 'remove' && minimum !== undefined) {
    const onPlatform = await job.inTenant(async (trx) => {
      const row = await trx.selectFrom('activation_members').select((eb) => eb.fn.countAll<string>().as('n')).where('sync_id', '=', sync.id).where('destination_id', '=', destination.destinationId).where('state', 'in', [...ACTIVE_STATES]).executeTakeFirstOrThrow();
      return Number(row.n);
    });
    // The platform would refuse it: the members stay, marked, and go at a later run when the audience has grown.
    if (onPlatform - members.length < minimum) return { ...empty, tooSmall: members };
  }
  const ctx = await platformContextOf(job, engine.deps, destination);
  let audience: AudienceRef | null = destination.audience;
  const call: Call = async (batch) => {
    if (!audience) {
      // Only the chunk named to create it may: others wait for it (the job retries).
      if (!payload.create) throw new Error(`the ${destination.connector} audience of sync ${sync.id} is not created yet`);
      const spec = { name: sync.name, idTypes: destination.idTypes, reference: `accord-sync-${sync.id}-${destination.destinationId}` };
      const created = await connector.createAudience(ctx, spec, connector.capabilities.createNeedsMembers ? batch : undefined);
      audience = created.audience;
      const made = audience;
      await job.inTenant((trx) => storePlatformAudience(trx, sync.id, destination.destinationId, made));
      if (created.outcome) return created.outcome;
    }
    return connector.upload(ctx, audience, batch);
  };
  const session = `accord-${sync.id}-${destination.destinationId}-${payload.runId ?? `removals-${job.id}`}-${payload.chunk}-${payload.op}`;
  return sendMembers(connector, call, payload.op, members, session, engine.deps.policy ?? defaultSendPolicy);
}

interface Outcome {
  readonly result: SendResult | undefined;
  readonly dead: readonly Dead[];
  readonly excluded: number;
  readonly error: string | null;
}

const PAGE = 2_000;
const LEDGER_PAGE = 20_000;

async function writeOutcome(trx: TenantTransaction, engine: SyncEngine, connector: AudienceConnector, sync: Sync, destination: SyncDestination, payload: ChunkPayload, outcome: Outcome): Promise<void> {
  const { runId } = payload;
  await lockSentMembers(trx);
  if (runId !== null) {
    // Counted once, whatever the delivery: the chunk's mark is taken under the row lock.
    const row = await trx.selectFrom('activation_run_destinations').select('done_chunks').where('run_id', '=', runId).where('destination_id', '=', destination.destinationId).forUpdate().executeTakeFirstOrThrow();
    if ((row.done_chunks as number[]).includes(payload.chunk)) return;
  }
  const result = outcome.result;
  const accepted = result?.accepted ?? [];
  const now = new Date();
  const ledgerRow = (personId: number) => ({ tenantId: trx.tenantId, syncId: sync.id, destinationId: destination.destinationId, personId });
  let added = 0;
  let removed = 0;
  if (payload.op === 'add' || payload.op === 'replace') {
    // Array parameters, one statement per page: the ledger takes a chunk in a few round trips.
    for (let at = 0; at < accepted.length; at += LEDGER_PAGE) {
      const page = accepted.slice(at, at + LEDGER_PAGE);
      const persons = page.map((member) => Number(member.key));
      const sealed = page.map((member) => Buffer.from(engine.sealer.seal(ledgerRow(Number(member.key)), member.ids)));
      await sql`
        insert into activation_members (tenant_id, sync_id, destination_id, person_id, state, ids_sealed, added_run_id, added_at)
        select ${trx.tenantId}::uuid, ${sync.id}, ${destination.destinationId}, u.person_id, 'present', u.ids_sealed, ${runId}, ${now}
          from unnest(${`{${persons.join(',')}}`}::bigint[], ${sealed}::bytea[]) as u(person_id, ids_sealed)
        on conflict (tenant_id, sync_id, destination_id, person_id) do update
          set state = 'present', ids_sealed = excluded.ids_sealed, added_run_id = excluded.added_run_id, added_at = excluded.added_at,
              removal_reason = null, removal_request_id = null, removed_at = null`.execute(trx);
    }
    added = accepted.length;
  }
  if (payload.op === 'replace' && result) {
    // What the replacement left out is gone from the platform.
    const kept = new Set(accepted.map((m) => Number(m.key)));
    const before = await trx.selectFrom('activation_members').select('person_id').where('sync_id', '=', sync.id).where('destination_id', '=', destination.destinationId).where('state', 'in', [...ACTIVE_STATES]).execute();
    const gone = before.map((r) => Number(r.person_id)).filter((id) => !kept.has(id));
    removed = await markRemoved(trx, sync.id, destination.destinationId, gone, now);
  }
  if (payload.op === 'remove' && result) {
    removed = await markRemoved(trx, sync.id, destination.destinationId, accepted.map((m) => Number(m.key)), now);
    const tooSmall = result.tooSmall.map((m) => Number(m.key));
    for (let at = 0; at < tooSmall.length; at += PAGE) {
      await trx.updateTable('activation_members').set({ state: 'kept' }).where('sync_id', '=', sync.id).where('destination_id', '=', destination.destinationId).where('person_id', 'in', tooSmall.slice(at, at + PAGE)).where('state', 'in', ['present', 'removing']).execute();
    }
  }
  const dead = [...outcome.dead, ...(result?.rejected ?? []).map((r) => ({ personId: Number(r.member.key), reason: r.reason, detail: r.detail }))];
  for (let at = 0; at < dead.length; at += PAGE) {
    await trx
      .insertInto('activation_dead_letters')
      .values(dead.slice(at, at + PAGE).map((d) => ({ tenant_id: trx.tenantId, run_id: runId, sync_id: sync.id, destination_id: destination.destinationId, person_id: d.personId, op: payload.op, reason: d.reason, detail: d.detail.slice(0, 1000) })))
      .execute();
  }
  if (accepted.length > 0 && payload.op !== 'remove') await removeWithdrawnSince(trx, engine, sync, destination, accepted.map((m) => Number(m.key)), payload.actor);
  if (payload.op === 'remove') await recordDestinationRemovals(trx, destination.destinationId, outcome.error !== null);
  if (runId !== null) {
    await trx
      .updateTable('activation_run_destinations')
      .set((eb) => ({
        added: eb('added', '+', added),
        removed: eb('removed', '+', removed),
        consent_excluded: eb('consent_excluded', '+', outcome.excluded),
        dead_lettered: eb('dead_lettered', '+', dead.length),
        kept_min_size: eb('kept_min_size', '+', result?.tooSmall.length ?? 0),
        requests: eb('requests', '+', result?.requests ?? 0),
        pending_chunks: eb('pending_chunks', '-', 1),
        receipts: sql<string>`receipts || ${JSON.stringify(result?.receipts ?? [])}::jsonb`,
        done_chunks: sql<string>`done_chunks || ${JSON.stringify([payload.chunk])}::jsonb`,
        error: outcome.error === null ? eb.ref('error') : sql<string>`${outcome.error}`,
      }))
      .where('run_id', '=', runId)
      .where('destination_id', '=', destination.destinationId)
      .execute();
    await settleDestination(trx, runId, destination.destinationId, Boolean(connector.status || connector.finalize));
  }
}

async function markRemoved(trx: TenantTransaction, syncId: number, destinationId: number, personIds: readonly number[], now: Date): Promise<number> {
  let removed = 0;
  for (let at = 0; at < personIds.length; at += PAGE) {
    const result = await trx
      .updateTable('activation_members')
      .set((eb) => ({ state: 'removed' as const, removed_at: now, ids_sealed: null, removal_reason: eb.fn.coalesce('removal_reason', sql<'audience'>`'audience'`) }))
      .where('sync_id', '=', syncId)
      .where('destination_id', '=', destinationId)
      .where('person_id', 'in', personIds.slice(at, at + PAGE))
      .where('state', 'in', [...ACTIVE_STATES])
      .executeTakeFirst();
    removed += Number(result.numUpdatedRows);
  }
  return removed;
}

/** Members just written as present whom the gate no longer allows: queued for removal at once. */
async function removeWithdrawnSince(trx: TenantTransaction, engine: SyncEngine, sync: Sync, destination: SyncDestination, personIds: readonly number[], actor: string): Promise<void> {
  const allowed = await gateForSync(trx, engine.deps.gate, sync, destination, personIds, 'activation.upload.recheck', actor);
  const withdrawn = personIds.filter((id) => !allowed.has(id));
  if (withdrawn.length === 0) return;
  await queueRemovals(trx, sync.id, destination.destinationId, withdrawn, 'withdrawal', null);
}
