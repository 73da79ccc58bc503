/**
 * The segment rule language: nested all / any / not over attributes, tags, orders and behaviour
 * events. Pure (zod only): the API validates bodies with it and compile-segment-rule.ts turns a
 * parsed rule into SQL. Consent is deliberately not a condition: members for a purpose come only
 * through the consent gate (segment-members-for.ts). A boolean rule tag's file, `{ "match":
 * condition }`, is taken as its condition, so one file defines a rule tag and selects a segment;
 * errors name the path and say what is wrong in the same format as rule tags' (core/rules/rule-issues.ts).
 */
import { z } from 'zod';
import { conditionIssues, issuesText } from '../rules/rule-issues.ts';
import { ruleOutOfBounds } from '../rules/rule-out-of-bounds.ts';
import { SegmentError } from './segment-errors.ts';

export const MAX_RULE_DEPTH = 8;
export const MAX_RULE_CONDITIONS = 50;

const key = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _, starting with a letter');
const scalar = z.union([z.string().max(500), z.number().finite(), z.boolean()]);
const values = z.array(scalar).min(1).max(100);
const withinDays = z.number().int().min(1).max(3650);

/** A comparison of one value: `=`/`!=` any scalar, `<`/`>` a number or text (ISO dates compare as text). */
const comparison = z.discriminatedUnion('op', [
  z.object({ op: z.enum(['=', '!=']), value: scalar }),
  z.object({ op: z.literal('in'), values }),
  z.object({ op: z.enum(['<', '>']), value: z.union([z.number().finite(), z.string().max(500)]) }),
  z.object({ op: z.literal('between'), from: z.union([z.number().finite(), z.string().max(500)]), to: z.union([z.number().finite(), z.string().max(500)]) }),
  z.object({ op: z.literal('exists') }),
]);

/**
 * `part` reads year, month or day out of a YYYY-MM-DD value, and then a value of "now" means the
 * current one: { attribute: 'birthday', part: 'month', op: '=', value: 'now' } is "birthday this month".
 */
const attributeCondition = z.intersection(z.object({ attribute: key, part: z.enum(['year', 'month', 'day']).optional() }), comparison);

/** `has` is "has any value"; the others compare the value (or, for a multi-valued tag, any element). */
const tagCondition = z.intersection(
  z.object({ tag: key }),
  z.discriminatedUnion('op', [
    z.object({ op: z.enum(['has', 'exists']) }),
    z.object({ op: z.literal('='), value: scalar }),
    z.object({ op: z.literal('in'), values }),
    z.object({ op: z.enum(['<', '>']), value: z.number().finite() }),
    z.object({ op: z.literal('between'), from: z.number().finite(), to: z.number().finite() }),
  ]),
);

/** A count or sum compared with a number; persons with no matching rows count as 0. */
const aggregateComparison = z.discriminatedUnion('op', [
  z.object({ op: z.enum(['>=', '>', '<=', '<', '=']), value: z.number().finite().min(0) }),
  z.object({ op: z.literal('between'), from: z.number().finite().min(0), to: z.number().finite().min(0) }),
]);

const orderCondition = z.intersection(
  z.object({
    orders: z.enum(['count', 'sum']),
    withinDays: withinDays.optional(),
    category: z.string().min(1).max(200).optional(),
    channel: z.string().min(1).max(200).optional(),
    status: z.enum(['paid', 'refunded', 'cancelled']).default('paid'),
  }),
  aggregateComparison,
);

const eventCondition = z.intersection(
  z.object({ events: z.string().regex(/^[a-z][a-z0-9_.]{0,62}$/), withinDays: withinDays.optional(), channel: z.string().min(1).max(200).optional() }),
  aggregateComparison,
);

export type AttributeCondition = z.output<typeof attributeCondition>;
export type TagCondition = z.output<typeof tagCondition>;
export type OrderCondition = z.output<typeof orderCondition>;
export type EventCondition = z.output<typeof eventCondition>;
export type SegmentRule =
  | { all: SegmentRule[] }
  | { any: SegmentRule[] }
  | { not: SegmentRule }
  | AttributeCondition
  | TagCondition
  | OrderCondition
  | EventCondition;

export const segmentRuleSchema: z.ZodType<SegmentRule, unknown> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(segmentRuleSchema).min(1).max(MAX_RULE_CONDITIONS) }).strict(),
    z.object({ any: z.array(segmentRuleSchema).min(1).max(MAX_RULE_CONDITIONS) }).strict(),
    z.object({ not: segmentRuleSchema }).strict(),
    attributeCondition,
    tagCondition,
    orderCondition,
    eventCondition,
  ]),
);

/** Depth and number of leaf conditions: what keeps a rule's SQL bounded. */
export function ruleSize(rule: SegmentRule, depth = 1): { depth: number; conditions: number } {
  const children = 'all' in rule ? rule.all : 'any' in rule ? rule.any : 'not' in rule ? [rule.not] : undefined;
  if (!children) return { depth, conditions: 1 };
  return children.map((child) => ruleSize(child, depth + 1)).reduce((a, b) => ({ depth: Math.max(a.depth, b.depth), conditions: a.conditions + b.conditions }), { depth, conditions: 0 });
}

const grammar = { leaves: { attribute: attributeCondition, tag: tagCondition, orders: orderCondition, events: eventCondition } };

/** `{ "match": condition }` (a boolean rule tag's rule) is its condition; anything else is the rule itself. */
function conditionOf(input: unknown): { condition: unknown; path: string } {
  const record = input as Record<string, unknown> | null;
  if (record && typeof record === 'object' && !Array.isArray(record) && Object.keys(record).length === 1 && 'match' in record) return { condition: record.match, path: 'rule.match' };
  return { condition: input, path: 'rule' };
}

/** Parses and bounds a rule; throws ACCORD_ERR_SEGMENT_RULE naming where it is wrong and why. */
export function parseSegmentRule(input: unknown): SegmentRule {
  const outOfBounds = ruleOutOfBounds(input);
  if (outOfBounds) throw new SegmentError('ACCORD_ERR_SEGMENT_RULE', outOfBounds);
  const { condition, path } = conditionOf(input);
  const parsed = segmentRuleSchema.safeParse(condition);
  if (!parsed.success) {
    const walked = conditionIssues(condition, grammar, path);
    const issues = walked.length > 0 ? walked : parsed.error.issues.map((issue) => ({ path: [path, ...issue.path.map(String)].join('.'), message: issue.message }));
    throw new SegmentError('ACCORD_ERR_SEGMENT_RULE', `the segment rule is not valid: ${issuesText(issues)}`, { issues });
  }
  const size = ruleSize(parsed.data);
  if (size.depth > MAX_RULE_DEPTH) throw new SegmentError('ACCORD_ERR_SEGMENT_RULE', `the rule nests ${size.depth} levels deep; at most ${MAX_RULE_DEPTH} are allowed`);
  if (size.conditions > MAX_RULE_CONDITIONS) throw new SegmentError('ACCORD_ERR_SEGMENT_RULE', `the rule has ${size.conditions} conditions; at most ${MAX_RULE_CONDITIONS} are allowed`);
  return parsed.data;
}
