/**
 * The rule language of rule tags: JSON that says which persons match (a boolean tag) or what
 * number each person gets (a number tag). Pure: no I/O. Unknown properties are refused (strict
 * objects), windows are whole days in 1..3650, a rule nests at most 8 deep and holds at most 50
 * conditions. Which attribute keys and tags exist is checked against the tenant elsewhere
 * (check-rule-tag.ts). The full language is documented in the README section "Rule tags".
 */
import { z } from 'zod';
import { conditionIssues, issuesText, type RuleIssue } from '../rules/rule-issues.ts';
import { ruleOutOfBounds } from '../rules/rule-out-of-bounds.ts';
import { TagError } from './tag-errors.ts';

export const MAX_RULE_DEPTH = 8;
export const MAX_RULE_CONDITIONS = 50;
export const MAX_WINDOW_DAYS = 3650;

const key = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _, starting with a letter');
const text = z.string().min(1).max(256);
const oneOrMany = z.union([text, z.array(text).min(1).max(100)]).transform((v) => (Array.isArray(v) ? v : [v]));
const withinDays = z.number().int().min(1, 'a window must be at least 1 day').max(MAX_WINDOW_DAYS, `a window may be at most ${MAX_WINDOW_DAYS} days (10 years)`);
const scalar = z.union([z.string().max(256), z.number().finite(), z.boolean()]);
const ordered = z.union([z.string().max(256), z.number().finite()]);

/** Comparisons of a stored JSON value (an attribute, another tag's value), as object shapes. */
const valueComparisons = {
  exists: { op: z.literal('exists') },
  equality: { op: z.enum(['=', '!=']), value: scalar },
  in: { op: z.literal('in'), values: z.array(scalar).min(1).max(1000) },
  order: { op: z.enum(['<', '>', '<=', '>=']), value: ordered },
  between: { op: z.literal('between'), min: ordered, max: ordered },
};

/** Strict objects (unknown properties refused) of the given fields with each value comparison. */
function comparedValue<F extends z.ZodRawShape>(fields: F) {
  const c = valueComparisons;
  return z.discriminatedUnion('op', [
    z.strictObject({ ...fields, ...c.exists }),
    z.strictObject({ ...fields, ...c.equality }),
    z.strictObject({ ...fields, ...c.in }),
    z.strictObject({ ...fields, ...c.order }),
    z.strictObject({ ...fields, ...c.between }),
  ]);
}
export type ValueComparison = z.output<ReturnType<typeof comparedValue<Record<never, never>>>>;

/** Strict objects of the given fields with each comparison of a computed number (a count, a sum). */
function comparedNumber<F extends z.ZodRawShape>(fields: F) {
  return z.discriminatedUnion('op', [
    z.strictObject({ ...fields, op: z.enum(['=', '!=', '<', '>', '<=', '>=']), value: z.number().finite() }),
    z.strictObject({ ...fields, op: z.literal('between'), min: z.number().finite(), max: z.number().finite() }),
  ]);
}
export type NumberComparison = z.output<ReturnType<typeof comparedNumber<Record<never, never>>>>;

const orderFilter = z.strictObject({
  withinDays: withinDays.optional(),
  status: oneOrMany.default(['paid']).pipe(z.array(z.enum(['paid', 'refunded', 'cancelled']))),
  channel: oneOrMany.optional(),
  category: oneOrMany.optional(),
  sku: oneOrMany.optional(),
});
export type OrderFilter = z.output<typeof orderFilter>;

const eventFilter = z.strictObject({
  withinDays: withinDays.optional(),
  type: oneOrMany.optional(),
  channel: oneOrMany.optional(),
});
export type EventFilter = z.output<typeof eventFilter>;

export const orderMeasures = ['count', 'amount', 'distinct_categories', 'distinct_skus'] as const;

const measures = {
  orders: z.strictObject({ orders: orderFilter, measure: z.enum(orderMeasures).default('count') }),
  events: z.strictObject({ events: eventFilter, measure: z.literal('count').default('count') }),
};
const measure = z.union([measures.orders, measures.events]);
export type Measure = z.output<typeof measure>;

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | ({ attribute: string } & ValueComparison)
  | ({ tag: string } & ValueComparison)
  | { registrationChannel: string[] }
  | { purchase: 'first' | 'repeat'; withinDays: number }
  | (Measure & NumberComparison);

/** Each kind of leaf condition, by the key that names it. */
const leaves = {
  attribute: comparedValue({ attribute: key }),
  tag: comparedValue({ tag: key }),
  registrationChannel: z.strictObject({ registrationChannel: oneOrMany }),
  purchase: z.strictObject({ purchase: z.enum(['first', 'repeat']), withinDays }),
  orders: comparedNumber({ orders: orderFilter, measure: z.enum(orderMeasures).default('count') }),
  events: comparedNumber({ events: eventFilter, measure: z.literal('count').default('count') }),
};

const condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([z.strictObject({ all: z.array(condition).min(1) }), z.strictObject({ any: z.array(condition).min(1) }), z.strictObject({ not: condition }), ...Object.values(leaves)]),
) as z.ZodType<Condition>;

const ruleSchema = z.union([z.strictObject({ match: condition }), z.strictObject({ number: measure, where: condition.optional() })]);
export type Rule = z.output<typeof ruleSchema>;

export function refuseRule(detail: string, extensions: Record<string, unknown> = {}): never {
  throw new TagError('ACCORD_ERR_TAG_RULE_INVALID', detail, extensions);
}

/** Children of a combinator, or none for a leaf. */
export function childrenOf(c: Condition): Condition[] {
  if ('all' in c) return c.all;
  if ('any' in c) return c.any;
  if ('not' in c) return [c.not];
  return [];
}

/** Levels of all/any/not and conditions before zod walks the tree (whose JSON depth is bounded already). */
function checkShape(node: unknown, depth: number, count: { n: number }): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((child) => checkShape(child, depth, count));
  const record = node as Record<string, unknown>;
  const children = 'all' in record ? record.all : 'any' in record ? record.any : 'not' in record ? record.not : undefined;
  if (children === undefined) return;
  if (depth > MAX_RULE_DEPTH) refuseRule(`the rule nests deeper than ${MAX_RULE_DEPTH} levels of all/any/not`);
  const list = Array.isArray(children) ? children : [children];
  count.n += list.length;
  if (count.n > MAX_RULE_CONDITIONS) refuseRule(`the rule has more than ${MAX_RULE_CONDITIONS} conditions`);
  list.forEach((child) => checkShape(child, depth + 1, count));
}

/** Where a rule that failed to parse is wrong, in the format both rule languages share. */
function ruleIssues(record: Record<string, unknown>): RuleIssue[] {
  const form = 'match' in record ? ['match'] : 'number' in record ? ['number', 'where'] : undefined;
  if (!form) return [{ path: 'rule', message: 'a rule is { "match": condition } or { "number": measure, "where"?: condition }' }];
  const extra = Object.keys(record).filter((k) => !form.includes(k));
  if (extra.length > 0) return [{ path: 'rule', message: `${extra.map((k) => `"${k}"`).join(', ')} is not part of a "${form[0]}" rule` }];
  if ('match' in record) return conditionIssues(record.match, { leaves }, 'rule.match');
  return [...conditionIssues(record.number, { leaves: measures }, 'rule.number'), ...(record.where === undefined ? [] : conditionIssues(record.where, { leaves }, 'rule.where'))];
}

/** The rule as the compiler takes it, or a TAG_RULE_INVALID error that says where it is wrong. */
export function parseRule(input: unknown, valueType: string, multiValued: boolean): Rule {
  if (input === null || typeof input !== 'object') refuseRule('a rule is a JSON object: { "match": condition } or { "number": measure, "where"?: condition }');
  const outOfBounds = ruleOutOfBounds(input);
  if (outOfBounds) refuseRule(outOfBounds);
  const record = input as Record<string, unknown>;
  checkShape(record.match ?? record.where, 1, { n: 1 });
  const parsed = ruleSchema.safeParse(input);
  if (!parsed.success) {
    const issues = ruleIssues(record);
    const reported = issues.length > 0 ? issues : parsed.error.issues.slice(0, 20).map((issue) => ({ path: ['rule', ...issue.path.map(String)].join('.'), message: issue.message }));
    refuseRule(`the rule is not valid: ${issuesText(reported)}`, { issues: reported });
  }
  const rule = parsed.data;
  if (multiValued) refuseRule('a rule tag holds one value per person: multiValued must be false');
  if ('match' in rule && valueType !== 'boolean') refuseRule(`a "match" rule gives true to matching persons: the tag's valueType must be boolean, not ${valueType}`);
  if ('number' in rule && valueType !== 'number') refuseRule(`a "number" rule computes a number: the tag's valueType must be number, not ${valueType}`);
  return rule;
}

/** Every attribute key and tag key the rule reads, for the reference check. */
export function referencesOf(rule: Rule): { attributes: Set<string>; tags: Set<string> } {
  const attributes = new Set<string>();
  const tags = new Set<string>();
  const visit = (c: Condition) => {
    if ('attribute' in c) attributes.add(c.attribute);
    if ('tag' in c) tags.add(c.tag);
    if ('registrationChannel' in c) attributes.add(REGISTRATION_CHANNEL);
    childrenOf(c).forEach(visit);
  };
  const root = 'match' in rule ? rule.match : rule.where;
  if (root) visit(root);
  return { attributes, tags };
}

/** The attribute that holds where a person first registered (ingest writes it). */
export const REGISTRATION_CHANNEL = 'registration_channel';
