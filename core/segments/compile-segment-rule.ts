/**
 * A segment rule as ONE parameterised SQL query returning the ids of live persons. Every value is a
 * bound parameter; the only identifiers are the fixed table and column names written here, so no
 * part of a rule can become SQL. Conditions are `p.id in (subquery)`, which Postgres runs as a
 * hashed semi-join or a hashed subplan even under OR and NOT, instead of a probe per person.
 */
import { sql, type RawBuilder } from 'kysely';
import type { AttributeCondition, EventCondition, OrderCondition, SegmentRule, TagCondition } from './segment-rule.ts';

export interface CompileContext {
  readonly tenantId: string;
  /** The instant "now" means (windows, current month). */
  readonly now: Date;
}

type Fragment = RawBuilder<unknown>;
const DAY_MS = 86_400_000;

const text = (column: Fragment) => sql`(${column} #>> '{}')`;
const number = (column: Fragment) => sql`(case when jsonb_typeof(${column}) = 'number' then (${column} #>> '{}')::numeric end)`;
const datePart = (column: Fragment, part: 'year' | 'month' | 'day') => {
  const [from, length] = { year: [1, 4], month: [6, 2], day: [9, 2] }[part];
  return sql`(case when ${text(column)} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then substr(${text(column)}, ${sql.lit(from)}, ${sql.lit(length)})::int end)`;
};
const currentPart = (now: Date, part: 'year' | 'month' | 'day') => ({ year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() })[part];

function attributePredicate(condition: AttributeCondition, now: Date): Fragment {
  const value = sql`a.value`;
  if (condition.op === 'exists') return sql`true`;
  if (condition.part) {
    const part = condition.part;
    const left = datePart(value, part);
    const bind = (v: unknown) => (v === 'now' ? currentPart(now, part) : Number(v));
    switch (condition.op) {
      case '=':
        return sql`${left} = ${bind(condition.value)}`;
      case '!=':
        return sql`${left} <> ${bind(condition.value)}`;
      case 'in':
        return sql`${left} in (${sql.join(condition.values.map(bind))})`;
      case '<':
        return sql`${left} < ${bind(condition.value)}`;
      case '>':
        return sql`${left} > ${bind(condition.value)}`;
      case 'between':
        return sql`${left} between ${bind(condition.from)} and ${bind(condition.to)}`;
    }
  }
  // Text comparison for equality, so "42" stored by a CSV import equals 42 in a rule.
  const ordered = (v: number | string) => (typeof v === 'number' ? number(value) : text(value));
  switch (condition.op) {
    case '=':
      return sql`${text(value)} = ${String(condition.value)}`;
    case '!=':
      return sql`${text(value)} <> ${String(condition.value)}`;
    case 'in':
      return sql`${text(value)} in (${sql.join(condition.values.map(String))})`;
    case '<':
      return sql`${ordered(condition.value)} < ${condition.value}`;
    case '>':
      return sql`${ordered(condition.value)} > ${condition.value}`;
    case 'between':
      return sql`${ordered(condition.from)} between ${condition.from} and ${condition.to}`;
  }
}

function tagPredicate(condition: TagCondition): Fragment {
  const value = sql`v.value`;
  const equals = (v: string | number | boolean) => sql`(${value} = ${JSON.stringify(v)}::jsonb or ${value} @> ${JSON.stringify([v])}::jsonb)`;
  switch (condition.op) {
    case 'has':
    case 'exists':
      return sql`true`;
    case '=':
      return equals(condition.value);
    case 'in':
      return sql`(${sql.join(condition.values.map(equals), sql` or `)})`;
    case '<':
      return sql`${number(value)} < ${condition.value}`;
    case '>':
      return sql`${number(value)} > ${condition.value}`;
    case 'between':
      return sql`${number(value)} between ${condition.from} and ${condition.to}`;
  }
}

type Aggregate = Pick<OrderCondition, 'op'> & ({ op: 'between'; from: number; to: number } | { op: '>=' | '>' | '<=' | '<' | '='; value: number });

function compare(aggregate: Fragment, condition: Aggregate): Fragment {
  if (condition.op === 'between') return sql`${aggregate} between ${condition.from} and ${condition.to}`;
  return sql`${aggregate} ${sql.raw(condition.op)} ${condition.value}`;
}

function satisfiedByZero(condition: Aggregate): boolean {
  switch (condition.op) {
    case 'between':
      return condition.from <= 0 && 0 <= condition.to;
    case '>=':
      return condition.value <= 0;
    case '>':
      return false;
    case '<=':
    case '=':
      return condition.value >= 0 && (condition.op === '<=' || condition.value === 0);
    case '<':
      return condition.value > 0;
  }
}

/** Persons whose aggregate over `from` matches; those with no rows (aggregate 0) are handled apart. */
function aggregateCondition(condition: Aggregate, aggregate: Fragment, from: Fragment): Fragment {
  if (!satisfiedByZero(condition)) return sql`p.id in (select person_id from ${from} group by person_id having ${compare(aggregate, condition)})`;
  return sql`not (p.id in (select person_id from ${from} group by person_id having not (${compare(aggregate, condition)})))`;
}

function orderSource(condition: OrderCondition, { tenantId, now }: CompileContext): Fragment {
  const filters = [sql`o.tenant_id = ${tenantId}`, sql`o.status = ${condition.status}`];
  if (condition.withinDays) filters.push(sql`o.placed_at >= ${new Date(now.getTime() - condition.withinDays * DAY_MS)}`);
  if (condition.channel) filters.push(sql`o.channel = ${condition.channel}`);
  if (!condition.category) return sql`(select o.person_id, o.id as order_id, o.amount from orders o where ${sql.join(filters, sql` and `)}) as matched`;
  // Per order: the amount of its items in the category; the order counts once.
  return sql`(select o.person_id, o.id as order_id, sum(i.amount) as amount
    from orders o join order_items i on i.tenant_id = o.tenant_id and i.order_id = o.id and i.category = ${condition.category}
    where ${sql.join(filters, sql` and `)} group by o.person_id, o.id) as matched`;
}

function compileCondition(rule: SegmentRule, context: CompileContext): Fragment {
  const { tenantId, now } = context;
  if ('all' in rule) return sql`(${sql.join(rule.all.map((r) => compileCondition(r, context)), sql` and `)})`;
  if ('any' in rule) return sql`(${sql.join(rule.any.map((r) => compileCondition(r, context)), sql` or `)})`;
  if ('not' in rule) return sql`not (${compileCondition(rule.not, context)})`;
  if ('attribute' in rule) {
    return sql`p.id in (select a.person_id from person_attributes a where a.tenant_id = ${tenantId} and a.key = ${rule.attribute} and ${attributePredicate(rule, now)})`;
  }
  if ('tag' in rule) {
    return sql`p.id in (select v.person_id from tag_values v where v.tenant_id = ${tenantId} and v.tag_key = ${rule.tag} and ${tagPredicate(rule)})`;
  }
  if ('orders' in rule) {
    const aggregate = rule.orders === 'count' ? sql`count(*)` : sql`coalesce(sum(amount), 0)`;
    return aggregateCondition(rule, aggregate, orderSource(rule, context));
  }
  return aggregateCondition(rule, sql`count(*)`, eventSource(rule, context));
}

function eventSource(condition: EventCondition, { tenantId, now }: CompileContext): Fragment {
  const filters = [sql`e.tenant_id = ${tenantId}`, sql`e.type = ${condition.events}`];
  if (condition.withinDays) filters.push(sql`e.occurred_at >= ${new Date(now.getTime() - condition.withinDays * DAY_MS)}`);
  if (condition.channel) filters.push(sql`e.channel = ${condition.channel}`);
  return sql`(select e.person_id from behaviour_events e where ${sql.join(filters, sql` and `)}) as matched`;
}

/** `select p.id from persons p where …`: the live persons of the tenant the rule selects. */
export function compileSegmentRule(rule: SegmentRule, context: CompileContext): RawBuilder<{ id: number }> {
  return sql<{ id: number }>`select p.id from persons p where p.tenant_id = ${context.tenantId} and p.merged_into is null and ${compileCondition(rule, context)}`;
}
