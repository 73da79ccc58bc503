/**
 * Running a compiled rule under guards: the planner's cost estimate first (EXPLAIN, on both
 * backends), then the query under a statement timeout (Postgres; PGlite has no timer to cancel
 * with, so there the cost check is the guard), and a member cap so a rule that selects nearly
 * everyone is refused rather than stored. Selecting people is profiling: what a rule selects goes
 * through the gate for analytics.profiling, and only the persons it allows are counted, shown or
 * stored (each evaluation writes its processing record).
 */
import { sql, type RawBuilder } from 'kysely';
import type { ConsentGate } from '../consent/consent-gate.ts';
import type { ConsentedPersons } from '../consent/consented-persons.ts';
import { profilingConsent, type ProfilingWork } from '../consent/profiling-consent.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { compileSegmentRule } from './compile-segment-rule.ts';
import { SegmentError } from './segment-errors.ts';
import type { SegmentRule } from './segment-rule.ts';

export interface SegmentLimits {
  readonly maxMembers: number;
  /** In the planner's cost units; about 1e6 per million persons for a rule of a few conditions. */
  readonly maxCost: number;
  readonly statementTimeoutMs: number;
}

export const defaultSegmentLimits: SegmentLimits = { maxMembers: 5_000_000, maxCost: 200_000_000, statementTimeoutMs: 30_000 };

export const MAX_PREVIEW_PERSONS = 20;

async function planCost(trx: TenantTransaction, query: RawBuilder<unknown>): Promise<number> {
  const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (format json) ${query}`.execute(trx);
  const raw = rows[0]!['QUERY PLAN'];
  const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: { 'Total Cost': number } }>;
  return plan[0]!.Plan['Total Cost'];
}

/** Runs `work` only if the plan of `query` is within the cost limit, and under the statement timeout. */
async function guarded<T>(trx: TenantTransaction, query: RawBuilder<unknown>, limits: SegmentLimits, work: () => Promise<T>): Promise<T> {
  const cost = await planCost(trx, query);
  if (cost > limits.maxCost) {
    throw new SegmentError('ACCORD_ERR_SEGMENT_TOO_COSTLY', `the rule's estimated cost ${Math.round(cost)} is above the limit ${limits.maxCost}; narrow it down`, { cost: Math.round(cost), maxCost: limits.maxCost });
  }
  const { rows } = await sql<{ previous: string }>`select current_setting('statement_timeout') as previous, set_config('statement_timeout', ${String(limits.statementTimeoutMs)}, true)`.execute(trx);
  try {
    return await work();
  } catch (error) {
    if ((error as { code?: string }).code === '57014') {
      throw new SegmentError('ACCORD_ERR_SEGMENT_TOO_COSTLY', `the rule ran longer than ${limits.statementTimeoutMs} ms and was stopped; narrow it down`, { statementTimeoutMs: limits.statementTimeoutMs });
    }
    throw error;
  } finally {
    // An aborted transaction refuses every statement; it is rolled back anyway.
    if (!(await isAborted(trx))) await sql`select set_config('statement_timeout', ${rows[0]!.previous}, true)`.execute(trx);
  }
}

async function isAborted(trx: TenantTransaction): Promise<boolean> {
  try {
    await sql`select 1`.execute(trx);
    return false;
  } catch {
    return true;
  }
}

/** The ids a rule selects now, ascending; at most `cap` of them when given. */
async function selectedIds(trx: TenantTransaction, rule: SegmentRule, limits: SegmentLimits, now: Date, cap: number | null): Promise<number[]> {
  const query = compileSegmentRule(rule, { tenantId: trx.tenantId, now });
  const limit = cap === null ? sql.raw('') : sql`limit ${cap}`;
  return guarded(trx, query, limits, async () => (await sql<{ id: number }>`select id from (${query}) as members order by id ${limit}`.execute(trx)).rows.map((row) => Number(row.id)));
}

/** The persons a rule selects now and the gate allows for profiling; refused above the member cap. */
export async function segmentRuleMembers(trx: TenantTransaction, gate: ConsentGate, rule: SegmentRule, work: ProfilingWork, limits: SegmentLimits = defaultSegmentLimits, now = new Date()): Promise<ConsentedPersons> {
  const ids = await selectedIds(trx, rule, limits, now, limits.maxMembers + 1);
  if (ids.length > limits.maxMembers) {
    throw new SegmentError('ACCORD_ERR_SEGMENT_TOO_LARGE', `the rule selects more than ${limits.maxMembers} persons; narrow it down`, { maxMembers: limits.maxMembers });
  }
  return profilingConsent(trx, gate, ids, { ...work, at: now });
}

/** How many persons creating a segment of the rule would store now (above the member cap too), without storing anything. */
export async function estimateSegmentRule(trx: TenantTransaction, gate: ConsentGate, rule: SegmentRule, actor: string, limits: SegmentLimits = defaultSegmentLimits, now = new Date()): Promise<number> {
  const ids = await selectedIds(trx, rule, limits, now, null);
  return (await profilingConsent(trx, gate, ids, { activity: 'segments.estimate', actor, at: now })).size;
}

export interface PreviewPerson {
  readonly personId: number;
  readonly attributes: Record<string, unknown>;
}

/** The first persons (by id, at most 20) the rule selects and the gate allows, with only the attributes asked for. */
export async function previewSegmentRule(
  trx: TenantTransaction,
  gate: ConsentGate,
  rule: SegmentRule,
  options: { attributes: readonly string[]; limit?: number; actor: string },
  limits: SegmentLimits = defaultSegmentLimits,
  now = new Date(),
): Promise<PreviewPerson[]> {
  const limit = Math.min(options.limit ?? MAX_PREVIEW_PERSONS, MAX_PREVIEW_PERSONS);
  const selected = await selectedIds(trx, rule, limits, now, null);
  const ids = (await profilingConsent(trx, gate, selected, { activity: 'segments.preview', actor: options.actor, at: now })).ids().slice(0, limit);
  const persons = new Map(ids.map((id) => [id, {} as Record<string, unknown>]));
  if (ids.length > 0 && options.attributes.length > 0) {
    const rows = await trx.selectFrom('person_attributes').select(['person_id', 'key', 'value']).where('person_id', 'in', ids).where('key', 'in', [...options.attributes]).execute();
    for (const row of rows) persons.get(Number(row.person_id))![row.key] = row.value;
  }
  return ids.map((personId) => ({ personId, attributes: persons.get(personId)! }));
}
