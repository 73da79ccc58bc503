/**
 * What an SQL tag may say, checked on the parse tree of the real Postgres grammar (libpg-query, the
 * server's own parser compiled to WebAssembly, so there is no parser differential to hide a second
 * statement or a function call in). Everything is refused unless allowed: one SELECT (WITH … SELECT
 * allowed, not recursive), over the views of schema tag_views and the query's own CTEs, with
 * node kinds, functions, types and operators from the lists below. Set-returning, side-effecting and
 * catalogue functions (pg_sleep, set_config, dblink, lo_*, pg_read_file, nextval, generate_series…)
 * are simply not on the list. The database sandbox (sql-tag-sandbox.ts) refuses again whatever this
 * would miss; this layer is what gives the analyst a clear reason, and on PGlite, which does not
 * enforce statement_timeout, it is what keeps pg_sleep and endless recursion out.
 */
import { loadModule, parseSync } from 'libpg-query';
import { TagError } from './tag-errors.ts';

export const SQL_TAG_VIEWS = ['persons_v', 'attributes_v', 'orders_v', 'order_items_v', 'events_v', 'tags_v'] as const;
export const SQL_TAG_VIEW_SCHEMA = 'tag_views';
export const MAX_SQL_TAG_LENGTH = 20_000;

const nodeKinds = new Set([
  'SelectStmt', 'ResTarget', 'ColumnRef', 'String', 'Integer', 'Float', 'Boolean', 'A_Const', 'A_Star', 'A_Expr',
  'BoolExpr', 'NullTest', 'BooleanTest', 'FuncCall', 'TypeCast', 'TypeName', 'CaseExpr', 'CaseWhen', 'CoalesceExpr',
  'MinMaxExpr', 'SubLink', 'RangeVar', 'RangeSubselect', 'JoinExpr', 'WithClause', 'CommonTableExpr', 'SortBy',
  'WindowDef', 'Alias', 'A_ArrayExpr', 'A_Indices', 'A_Indirection', 'RowExpr', 'SQLValueFunction', 'List',
]);

/** Deterministic, bounded in time and memory per row; nothing that reads the catalogue or the server. */
const functions = new Set([
  // aggregates
  'count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'every', 'array_agg', 'string_agg', 'stddev', 'stddev_pop',
  'stddev_samp', 'variance', 'var_pop', 'var_samp', 'percentile_cont', 'percentile_disc', 'mode',
  // window functions
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead', 'first_value', 'last_value', 'nth_value',
  // dates and times
  'now', 'date_trunc', 'date_part', 'extract', 'age', 'make_date', 'make_interval', 'to_char', 'to_date', 'to_timestamp',
  'timezone', 'date_bin', 'justify_days', 'justify_hours', 'justify_interval', 'isfinite',
  // numbers
  'abs', 'round', 'floor', 'ceil', 'ceiling', 'trunc', 'sign', 'mod', 'sqrt', 'ln', 'log', 'width_bucket',
  // text
  'lower', 'upper', 'initcap', 'length', 'char_length', 'substring', 'substr', 'position', 'strpos', 'btrim', 'ltrim',
  'rtrim', 'replace', 'concat', 'concat_ws', 'left', 'right', 'split_part', 'starts_with',
  // arrays and JSON (attribute values and event properties are jsonb)
  'array_length', 'cardinality', 'array_position', 'array_to_string', 'string_to_array', 'jsonb_extract_path_text',
  'jsonb_typeof', 'jsonb_array_length',
]);

const types = new Set([
  'int2', 'int4', 'int8', 'int', 'integer', 'smallint', 'bigint', 'numeric', 'decimal', 'float4', 'float8', 'real',
  'text', 'varchar', 'bpchar', 'char', 'bool', 'boolean', 'date', 'timestamp', 'timestamptz', 'interval', 'time',
  'jsonb', 'json',
]);

// No regular expressions: on PGlite nothing stops a pathological pattern.
const operators = new Set([
  '=', '<>', '!=', '<', '>', '<=', '>=', '+', '-', '*', '/', '%', '||', '~~', '!~~', '~~*', '!~~*',
  '->', '->>', '#>', '#>>', '@>', '<@', '?', '?|', '?&', '&&', 'BETWEEN', 'NOT BETWEEN', 'BETWEEN SYMMETRIC', 'NOT BETWEEN SYMMETRIC',
]);

const expressionKinds = new Set([
  'AEXPR_OP', 'AEXPR_OP_ANY', 'AEXPR_OP_ALL', 'AEXPR_DISTINCT', 'AEXPR_NOT_DISTINCT', 'AEXPR_NULLIF', 'AEXPR_IN',
  'AEXPR_LIKE', 'AEXPR_ILIKE', 'AEXPR_BETWEEN', 'AEXPR_NOT_BETWEEN', 'AEXPR_BETWEEN_SYM', 'AEXPR_NOT_BETWEEN_SYM',
]);

const clockFunctions = new Set([
  'SVFOP_CURRENT_DATE', 'SVFOP_CURRENT_TIME', 'SVFOP_CURRENT_TIME_N', 'SVFOP_CURRENT_TIMESTAMP',
  'SVFOP_CURRENT_TIMESTAMP_N', 'SVFOP_LOCALTIME', 'SVFOP_LOCALTIME_N', 'SVFOP_LOCALTIMESTAMP', 'SVFOP_LOCALTIMESTAMP_N',
]);

type Tree = Record<string, unknown>;

const refuse = (reason: string, detail: string, position?: unknown): never => {
  throw new TagError('ACCORD_ERR_TAG_SQL_REFUSED', detail, { reason, ...(typeof position === 'number' && position >= 0 ? { position } : {}) });
};

const names = (list: unknown): string[] => (Array.isArray(list) ? list.map((item) => String((item as { String?: { sval?: string } }).String?.sval ?? '')) : []);

/** A name as written, or as pg_catalog.name (the form the grammar gives EXTRACT, SUBSTRING, types…). */
function unqualified(parts: string[]): string | undefined {
  if (parts.length === 1) return parts[0];
  if (parts.length === 2 && parts[0] === 'pg_catalog') return parts[1];
  return undefined;
}

function collectCteNames(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) return value.forEach((item) => collectCteNames(item, into));
  if (value === null || typeof value !== 'object') return;
  for (const [key, field] of Object.entries(value as Tree)) {
    if (key === 'CommonTableExpr') into.add(String((field as Tree).ctename));
    collectCteNames(field, into);
  }
}

function checkNode(kind: string, node: Tree, cteNames: Set<string>): void {
  if (!nodeKinds.has(kind)) refuse('construct', `${kind} is not allowed in an SQL tag; write a single SELECT`, node.location);
  switch (kind) {
    case 'SelectStmt':
      if (node.intoClause) refuse('into', 'SELECT INTO creates a table; an SQL tag only reads', node.location);
      if (Array.isArray(node.lockingClause) && node.lockingClause.length > 0) refuse('locking', 'FOR UPDATE/SHARE locks rows; an SQL tag only reads');
      if ((node.withClause as Tree | undefined)?.recursive) refuse('recursive', 'WITH RECURSIVE is not allowed in an SQL tag');
      return;
    case 'RangeVar': {
      const relation = String(node.relname);
      if (node.catalogname || (node.schemaname && node.schemaname !== SQL_TAG_VIEW_SCHEMA)) {
        refuse('relation', `${[node.catalogname, node.schemaname, relation].filter(Boolean).join('.')} is outside the tag views (${SQL_TAG_VIEWS.join(', ')})`, node.location);
      }
      const isView = (SQL_TAG_VIEWS as readonly string[]).includes(relation);
      if (!isView && (node.schemaname || !cteNames.has(relation))) {
        refuse('relation', `${relation} is not one of the tag views (${SQL_TAG_VIEWS.join(', ')})`, node.location);
      }
      return;
    }
    case 'FuncCall': {
      const name = unqualified(names(node.funcname));
      if (!name || !functions.has(name)) refuse('function', `function ${names(node.funcname).join('.')} is not on the SQL tag allow-list`, node.location);
      return;
    }
    case 'A_Expr': {
      const operator = unqualified(names(node.name));
      if (!expressionKinds.has(String(node.kind))) refuse('operator', `${String(node.kind)} is not allowed in an SQL tag`, node.location);
      if (!operator || !operators.has(operator)) refuse('operator', `operator ${names(node.name).join('.')} is not allowed in an SQL tag`, node.location);
      return;
    }
    case 'SQLValueFunction':
      if (!clockFunctions.has(String(node.op))) refuse('function', `${String(node.op).replace('SVFOP_', '').toLowerCase()} is not allowed in an SQL tag`, node.location);
      return;
  }
}

function checkTypeName(typeName: Tree): void {
  const name = unqualified(names(typeName.names));
  if (!name || !types.has(name)) refuse('type', `type ${names(typeName.names).join('.')} is not allowed in an SQL tag`, typeName.location);
}

/** Node wrappers are keys with a capital letter ({ FuncCall: {...} }); lower-case keys are fields. */
function walk(value: unknown, cteNames: Set<string>): void {
  if (Array.isArray(value)) return value.forEach((item) => walk(item, cteNames));
  if (value === null || typeof value !== 'object') return;
  for (const [key, field] of Object.entries(value as Tree)) {
    if (/^[A-Z]/.test(key)) checkNode(key, field as Tree, cteNames);
    // Some nodes embed a TypeName or IntoClause as a plain field rather than a wrapped node.
    if (key === 'typeName' || key === 'TypeName') checkTypeName(field as Tree);
    walk(field, cteNames);
  }
}

let parserReady: Promise<void> | undefined;

/** Throws ACCORD_ERR_TAG_SQL_REFUSED with the reason (and the position, when known). */
export async function checkSqlTagQuery(query: string): Promise<void> {
  if (query.length > MAX_SQL_TAG_LENGTH) refuse('too_long', `an SQL tag is at most ${MAX_SQL_TAG_LENGTH} characters`);
  await (parserReady ??= loadModule());
  let tree: { stmts?: Array<{ stmt?: Tree }> };
  try {
    tree = parseSync(query) as typeof tree;
  } catch (error) {
    const position = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    return refuse('syntax', `not valid SQL: ${(error as Error).message}`, position);
  }
  const statements = tree.stmts ?? [];
  if (statements.length !== 1) refuse('statements', `an SQL tag is exactly one statement, found ${statements.length}`);
  const statement = statements[0]!.stmt ?? {};
  if (!('SelectStmt' in statement)) refuse('statement', `an SQL tag is a SELECT, not ${Object.keys(statement)[0] ?? 'nothing'}`);
  const cteNames = new Set<string>();
  collectCteNames(statement, cteNames);
  walk(statement, cteNames);
}
