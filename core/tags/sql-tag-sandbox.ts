/**
 * Runs an analyst's SELECT where the database itself refuses what the policy (sql-tag-policy.ts)
 * might have missed. It opens a tenant transaction (accord.tenant_id set) and, before the
 * analyst's text runs, makes it READ ONLY, pins search_path to the tag views, sets a statement
 * timeout and switches to the role accord_sql_tag, which can read nothing but the tag views (they
 * fence on accord.tenant_id, and that role may not call set_config: migration 0010). The text is
 * wrapped as a subquery sent with a bound parameter, so the extended protocol allows exactly one
 * statement, and the wrapper's LIMIT asks for one row more than allowed so that too many rows is
 * refused rather than silently cut. EXPLAIN refuses, before running, a plan whose cost is beyond
 * the budget: on PGlite, which does not enforce statement_timeout, that and the policy are what keep
 * an endless query from holding the node's only connection.
 */
import { sql } from 'kysely';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { SQL_TAG_VIEW_SCHEMA } from './sql-tag-policy.ts';
import { TagError } from './tag-errors.ts';

export interface SqlTagLimits {
  timeoutMs: number;
  maxRows: number;
  /** Postgres planner cost units (a sequential page read costs 1). */
  maxCost: number;
}

export const defaultSqlTagLimits: SqlTagLimits = { timeoutMs: 5_000, maxRows: 1_000_000, maxCost: 50_000_000 };

export interface SqlTagRow {
  person_id: unknown;
  value: unknown;
}

/** Postgres error classes that say "try again later", not "this query is wrong". */
const TRANSIENT = /^(08|53|57P|40)/;

function databaseRefusal(error: unknown): TagError {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '57014') return new TagError('ACCORD_ERR_TAG_SQL_LIMIT', 'the SQL tag ran longer than its statement timeout', { reason: 'timeout' });
  const reason = code === '42501' ? 'permission' : code === '25006' ? 'read_only' : 'database';
  return new TagError('ACCORD_ERR_TAG_SQL_FAILED', `the database refused the SQL tag: ${message ?? String(error)}`, { reason, sqlState: code });
}

/** Carries the rows out of a transaction that must not commit. */
class RolledBack extends Error {
  constructor(readonly rows: SqlTagRow[]) {
    super('sandbox transaction rolled back');
  }
}

export type InTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>;

/**
 * Runs the query in a fresh tenant transaction that is always rolled back, so nothing it did
 * survives even where READ ONLY does not reach (Postgres 15 lets lo_from_bytea write in a read-only
 * transaction). The query is NOT checked here; callers check it with checkSqlTagQuery first.
 */
export async function runSqlTagQuery(inTenant: InTenant, query: string, limits: SqlTagLimits): Promise<SqlTagRow[]> {
  try {
    await inTenant(async (trx) => {
      throw new RolledBack(await runInSandbox(trx, query, limits));
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.rows;
    throw error;
  }
  throw new Error('unreachable: the sandbox transaction committed');
}

async function runInSandbox(trx: TenantTransaction, query: string, limits: SqlTagLimits): Promise<SqlTagRow[]> {
  await sql`set transaction read only`.execute(trx);
  await sql`select set_config('statement_timeout', ${String(limits.timeoutMs)}, true), set_config('search_path', ${`${SQL_TAG_VIEW_SCHEMA}, pg_catalog, pg_temp`}, true)`.execute(trx);
  await sql`set local role accord_sql_tag`.execute(trx);
  // A trailing line comment must not swallow the closing parenthesis.
  const wrapped = sql<SqlTagRow>`select person_id, value from (\n${sql.raw(query)}\n) as tag_result limit ${limits.maxRows + 1}`;
  try {
    const plan = await sql<{ 'QUERY PLAN': Array<{ Plan: { 'Total Cost': number } }> }>`explain (format json) ${wrapped}`.execute(trx);
    const cost = plan.rows[0]!['QUERY PLAN'][0]!.Plan['Total Cost'];
    if (cost > limits.maxCost) {
      throw new TagError('ACCORD_ERR_TAG_SQL_LIMIT', `the planner estimates a cost of ${Math.round(cost)}, over the budget of ${limits.maxCost}; narrow the query`, { reason: 'cost', cost });
    }
    const result = await wrapped.execute(trx);
    if (result.rows.length > limits.maxRows) {
      throw new TagError('ACCORD_ERR_TAG_SQL_LIMIT', `the SQL tag returned more than ${limits.maxRows} rows`, { reason: 'rows', maxRows: limits.maxRows });
    }
    return result.rows;
  } catch (error) {
    if (error instanceof TagError || TRANSIENT.test(String((error as { code?: unknown }).code ?? ''))) throw error;
    if (typeof (error as { code?: unknown }).code !== 'string') throw error;
    throw databaseRefusal(error);
  }
}
