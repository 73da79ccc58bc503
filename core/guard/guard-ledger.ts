/**
 * The guard's ledger (guard_decisions): every decision appended, budgets derived from it. Callers
 * that decide take `lockGuard` first, so two runs of one collaboration are admitted or released
 * one after the other and cannot both take the last unit of a budget.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import type { GuardError } from './guard-errors.ts';

export type GuardStage = 'admit' | 'input' | 'counts' | 'members';
export type GuardOutcome = 'admitted' | 'refused' | 'released' | 'withheld';

export interface GuardLedgerEntry {
  readonly id: number;
  readonly collaborationId: string;
  readonly runId: string;
  readonly stage: GuardStage;
  readonly outcome: GuardOutcome;
  readonly reason: string | null;
  readonly epsilonMicros: number;
  readonly details: Record<string, unknown>;
  readonly decidedAt: Date;
}

export interface GuardTally {
  /** Runs admitted over the collaboration's life. */
  readonly runs: number;
  /** Runs admitted in the last 24 hours. */
  readonly runsLastDay: number;
  /** Seconds until the oldest of those leaves the window, when there is one. */
  readonly secondsUntilSlot: number | null;
  readonly epsilonMicrosSpent: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkRunKey(collaborationId: string, runId: string): void {
  if (!UUID.test(collaborationId)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `collaboration id must be a UUID, got ${JSON.stringify(collaborationId)}`);
  if (runId.length < 1 || runId.length > 200) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'run id must have 1 to 200 characters');
}

/** Until the transaction ends, no other guard decision for this collaboration is taken. */
export async function lockGuard(trx: TenantTransaction, collaborationId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`accord.output-guard:${trx.tenantId}:${collaborationId}`}, 0))`.execute(trx);
}

export async function guardTally(trx: TenantTransaction, collaborationId: string): Promise<GuardTally> {
  const row = await trx
    .selectFrom('guard_decisions')
    .select([
      sql<number>`count(*) filter (where outcome = 'admitted')`.as('runs'),
      sql<number>`count(*) filter (where outcome = 'admitted' and decided_at > now() - interval '1 day')`.as('runs_last_day'),
      sql<number | null>`ceil(extract(epoch from min(decided_at) filter (where outcome = 'admitted' and decided_at > now() - interval '1 day') + interval '1 day' - now()))::int`.as('seconds_until_slot'),
      sql<number>`coalesce(sum(epsilon_micros), 0)::bigint`.as('epsilon_micros'),
    ])
    .where('collaboration_id', '=', collaborationId)
    .executeTakeFirstOrThrow();
  return { runs: row.runs, runsLastDay: row.runs_last_day, secondsUntilSlot: row.seconds_until_slot, epsilonMicrosSpent: row.epsilon_micros };
}

export interface NewGuardEntry {
  readonly collaborationId: string;
  readonly runId: string;
  readonly stage: GuardStage;
  readonly outcome: GuardOutcome;
  readonly reason?: string | null;
  readonly epsilonMicros?: number;
  readonly details?: Record<string, unknown>;
}

export async function appendGuardEntry(trx: TenantTransaction, entry: NewGuardEntry): Promise<void> {
  await trx
    .insertInto('guard_decisions')
    .values({
      tenant_id: trx.tenantId,
      collaboration_id: entry.collaborationId,
      run_id: entry.runId,
      stage: entry.stage,
      outcome: entry.outcome,
      reason: entry.reason ?? null,
      epsilon_micros: entry.epsilonMicros ?? 0,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

/** The run's standing decision at a stage (refusals are not standing: they may be asked again). */
export async function standingDecision(trx: TenantTransaction, collaborationId: string, runId: string, stage: GuardStage): Promise<GuardLedgerEntry | undefined> {
  const row = await ledger(trx, collaborationId).where('run_id', '=', runId).where('stage', '=', stage).where('outcome', '<>', 'refused').executeTakeFirst();
  return row && toEntry(row);
}

/** Every decision for a collaboration, oldest first: what a privacy officer reads. */
export async function guardDecisionsOf(trx: TenantTransaction, collaborationId: string): Promise<GuardLedgerEntry[]> {
  checkRunKey(collaborationId, '-');
  return (await ledger(trx, collaborationId).orderBy('id').execute()).map(toEntry);
}

/**
 * Records a refusal (a GuardError from admitRun or the input checks). admitRun throws rather than
 * writes, because a throw rolls back the caller's transaction; the caller records the refusal in
 * the transaction that marks its run failed, so the ledger keeps it.
 */
export async function recordGuardRefusal(trx: TenantTransaction, collaborationId: string, runId: string, error: GuardError): Promise<void> {
  checkRunKey(collaborationId, runId);
  await appendGuardEntry(trx, {
    collaborationId,
    runId,
    stage: inputRefusals.has(error.code) ? 'input' : 'admit',
    outcome: 'refused',
    reason: error.code,
    details: { detail: error.message, ...error.extensions },
  });
}

const inputRefusals = new Set<GuardError['code']>(['ACCORD_ERR_GUARD_SIZE_MISMATCH', 'ACCORD_ERR_GUARD_INPUT_TOO_SMALL', 'ACCORD_ERR_GUARD_DUPLICATE_INPUT']);

const ledger = (trx: TenantTransaction, collaborationId: string) => trx.selectFrom('guard_decisions').selectAll().where('collaboration_id', '=', collaborationId);

function toEntry(row: {
  id: number;
  collaboration_id: string;
  run_id: string;
  stage: GuardStage;
  outcome: GuardOutcome;
  reason: string | null;
  epsilon_micros: number;
  details: unknown;
  decided_at: Date;
}): GuardLedgerEntry {
  return {
    id: row.id,
    collaborationId: row.collaboration_id,
    runId: row.run_id,
    stage: row.stage,
    outcome: row.outcome,
    reason: row.reason,
    epsilonMicros: row.epsilon_micros,
    details: row.details as Record<string, unknown>,
    decidedAt: row.decided_at,
  };
}
