/**
 * Compiles a parsed rule (rule-language.ts) to one parameterised SELECT of (person_id, value) over
 * the tenant's live persons. Every value from the rule is a bound parameter; the only text spliced
 * into the SQL is table and column names and operators written in this file, picked by the
 * validated rule. Conditions are correlated subqueries on the person, so they combine freely under
 * all/any/not. Windows run from `asOf - N days` (inclusive) to `asOf` (inclusive). Row-level
 * security of the tenant transaction keeps every table inside the tenant.
 */
import { sql, type RawBuilder } from 'kysely';
import { anyOf } from '../db/sql-any.ts';
import { childrenOf, REGISTRATION_CHANNEL, type Condition, type EventFilter, type Measure, type NumberComparison, type OrderFilter, type Rule, type ValueComparison } from './rule-language.ts';

type Fragment = RawBuilder<unknown>;

const comparisonOperators = { '=': '=', '!=': '<>', '<': '<', '>': '>', '<=': '<=', '>=': '>=' } as const;
const op = (token: keyof typeof comparisonOperators) => sql.raw(comparisonOperators[token]);

/** `column` is from `asOf - days` to `asOf`, both ends included. */
function inWindow(column: Fragment, asOf: Date, days: number | undefined): Fragment {
  const until = sql`${column} <= ${asOf.toISOString()}::timestamptz`;
  return days === undefined ? until : sql`${until} and ${column} >= ${asOf.toISOString()}::timestamptz - ${days}::int * interval '1 day'`;
}

/** A JSON scalar `v` against a comparison; numbers compare as numbers, strings as text (C order). */
function scalarMatches(v: Fragment, cmp: ValueComparison): Fragment {
  const asNumber = sql`(case when jsonb_typeof(${v}) = 'number' then (${v} #>> '{}')::numeric end)`;
  const asText = sql`(case when jsonb_typeof(${v}) = 'string' then (${v} #>> '{}') end) collate "C"`;
  const typed = (operand: string | number) => (typeof operand === 'number' ? { left: asNumber, right: sql`${operand}::numeric` } : { left: asText, right: sql`${operand}::text` });
  switch (cmp.op) {
    case 'exists':
      return sql`true`;
    case '=':
    case '!=':
      return sql`${v} ${op(cmp.op)} ${JSON.stringify(cmp.value)}::jsonb`;
    case 'in':
      // A JSON array contains a scalar that is one of its elements.
      return sql`${JSON.stringify(cmp.values)}::jsonb @> ${v}`;
    case 'between': {
      const low = typed(cmp.min);
      const high = typed(cmp.max);
      return sql`${low.left} >= ${low.right} and ${high.left} <= ${high.right}`;
    }
    default: {
      const { left, right } = typed(cmp.value);
      return sql`${left} ${op(cmp.op)} ${right}`;
    }
  }
}

/** Some value of the person's attribute or tag (each element of a multi-valued one) matches. */
function storedValueMatches(table: 'person_attributes' | 'tag_values', keyColumn: 'key' | 'tag_key', key: string, cmp: ValueComparison): Fragment {
  return sql`exists (select 1 from ${sql.table(table)} s
    cross join lateral jsonb_array_elements(case jsonb_typeof(s.value) when 'array' then s.value else jsonb_build_array(s.value) end) as e(v)
    where s.person_id = p.id and ${sql.ref(`s.${keyColumn}`)} = ${key} and ${scalarMatches(sql`e.v`, cmp)})`;
}

function orderConditions(filter: OrderFilter, asOf: Date, itemsJoined: boolean): Fragment[] {
  const parts: Fragment[] = [sql`o.person_id = p.id`, sql`o.status = ${anyOf(filter.status, 'text')}`, inWindow(sql`o.placed_at`, asOf, filter.withinDays)];
  if (filter.channel) parts.push(sql`o.channel = ${anyOf(filter.channel, 'text')}`);
  const itemParts: Fragment[] = [];
  if (filter.category) itemParts.push(sql`i.category = ${anyOf(filter.category, 'text')}`);
  if (filter.sku) itemParts.push(sql`i.sku = ${anyOf(filter.sku, 'text')}`);
  if (itemParts.length === 0) return parts;
  if (itemsJoined) return [...parts, ...itemParts];
  return [...parts, sql`exists (select 1 from order_items i where i.order_id = o.id and ${sql.join(itemParts, sql` and `)})`];
}

/** A person's number for a measure (never null: no orders or events give 0). */
function measureOf(m: Measure, asOf: Date): Fragment {
  if ('events' in m) return eventCount(m.events, asOf);
  const where = (itemsJoined: boolean) => sql.join(orderConditions(m.orders, asOf, itemsJoined), sql` and `);
  switch (m.measure) {
    case 'count':
      return sql`(select count(*) from orders o where ${where(false)})`;
    case 'amount':
      return sql`(select coalesce(sum(o.amount), 0) from orders o where ${where(false)})`;
    case 'distinct_categories':
      return sql`(select count(distinct i.category) from orders o join order_items i on i.order_id = o.id where ${where(true)})`;
    case 'distinct_skus':
      return sql`(select count(distinct i.sku) from orders o join order_items i on i.order_id = o.id where ${where(true)})`;
  }
}

function eventCount(filter: EventFilter, asOf: Date): Fragment {
  const parts: Fragment[] = [sql`e.person_id = p.id`, inWindow(sql`e.occurred_at`, asOf, filter.withinDays)];
  if (filter.type) parts.push(sql`e.type = ${anyOf(filter.type, 'text')}`);
  if (filter.channel) parts.push(sql`e.channel = ${anyOf(filter.channel, 'text')}`);
  return sql`(select count(*) from behaviour_events e where ${sql.join(parts, sql` and `)})`;
}

function numberMatches(value: Fragment, cmp: NumberComparison): Fragment {
  if (cmp.op === 'between') return sql`${value} between ${cmp.min}::numeric and ${cmp.max}::numeric`;
  return sql`${value} ${op(cmp.op)} ${cmp.value}::numeric`;
}

const paidUntil = (asOf: Date) => sql`o.person_id = p.id and o.status = 'paid' and o.placed_at <= ${asOf.toISOString()}::timestamptz`;

function conditionSql(c: Condition, asOf: Date): Fragment {
  if ('all' in c || 'any' in c) return sql`(${sql.join(childrenOf(c).map((child) => conditionSql(child, asOf)), 'all' in c ? sql` and ` : sql` or `)})`;
  if ('not' in c) return sql`not ${conditionSql(c.not, asOf)}`;
  if ('attribute' in c) return storedValueMatches('person_attributes', 'key', c.attribute, c);
  if ('tag' in c) return storedValueMatches('tag_values', 'tag_key', c.tag, c);
  if ('registrationChannel' in c) return storedValueMatches('person_attributes', 'key', REGISTRATION_CHANNEL, { op: 'in', values: c.registrationChannel });
  if ('purchase' in c) {
    const since = sql`${asOf.toISOString()}::timestamptz - ${c.withinDays}::int * interval '1 day'`;
    // First: the person's first paid order falls in the window. Repeat: a paid order in the window
    // with an earlier paid order before it, i.e. two or more paid orders with the latest in the window.
    if (c.purchase === 'first') return sql`coalesce((select min(o.placed_at) >= ${since} from orders o where ${paidUntil(asOf)}), false)`;
    return sql`coalesce((select count(*) >= 2 and max(o.placed_at) >= ${since} from orders o where ${paidUntil(asOf)}), false)`;
  }
  return numberMatches(measureOf(c, asOf), c);
}

/** The statement: (person_id, value) for every live person the rule gives a value. */
export function compileRule(rule: Rule, asOf: Date): RawBuilder<{ person_id: number; value: unknown }> {
  if ('match' in rule) return sql`select p.id as person_id, true as value from persons p where p.merged_into is null and ${conditionSql(rule.match, asOf)}`;
  const where = rule.where ? conditionSql(rule.where, asOf) : sql`true`;
  return sql`select p.id as person_id, round((${measureOf(rule.number, asOf)})::numeric, 2) as value from persons p where p.merged_into is null and ${where}`;
}
