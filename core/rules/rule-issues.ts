/**
 * Where a rule is wrong, in one format for both rule languages (segments, rule tags): a path from
 * `rule` (`rule.all.1.op`) and a message a person can act on. A rule is a tree of combinators
 * (all / any / not) over leaf conditions, and a leaf says what it is by one key (attribute, tag,
 * orders, …). A schema that is one union of every shape can only say "Invalid input" at the root
 * when any part is wrong, so a failed rule is walked here: combinators by hand, each leaf with the
 * schema its key names. Runs only on rules that already failed, after their depth was bounded.
 */
import type { z } from 'zod';

export interface RuleIssue {
  readonly path: string;
  readonly message: string;
}

export interface RuleGrammar {
  /** The schema of each kind of leaf, by the key that names the kind. */
  readonly leaves: Readonly<Record<string, z.ZodType>>;
}

const COMBINATORS = ['all', 'any', 'not'] as const;
const MAX_ISSUES = 20;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  return 'an object';
}

/** A zod issue as a person reads it; a refused discriminator (an `op`) names what was sent. */
function messageOf(issue: z.core.$ZodIssue, leaf: Record<string, unknown>): string {
  const discriminator = (issue as { discriminator?: string }).discriminator;
  if (issue.code === 'invalid_union' && discriminator) return `${discriminator} ${describe(leaf[discriminator])} is not one this condition takes`;
  if (issue.code === 'invalid_union') {
    const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
    const closest = [...branches].sort((a, b) => a.length - b.length)[0];
    if (closest?.length) return closest.map((inner) => messageOf(inner, leaf)).join('; ');
  }
  return issue.message;
}

const joined = (path: string, more: ReadonlyArray<PropertyKey>) => [path, ...more.map(String)].join('.');

/** The issues of a condition tree at `path`; empty when every part is valid. */
export function conditionIssues(node: unknown, grammar: RuleGrammar, path = 'rule'): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const visit = (value: unknown, at: string) => {
    if (issues.length >= MAX_ISSUES) return;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ path: at, message: `a condition is an object, not ${describe(value)}` });
      return;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const combinator = COMBINATORS.find((key) => key in record);
    if (combinator) {
      const extra = keys.filter((key) => key !== combinator);
      if (extra.length > 0) issues.push({ path: at, message: `"${combinator}" stands alone; move ${extra.map((k) => `"${k}"`).join(', ')} into a condition of its own` });
      const children = record[combinator];
      if (combinator === 'not') return visit(children, `${at}.not`);
      if (!Array.isArray(children) || children.length === 0) {
        issues.push({ path: `${at}.${combinator}`, message: `"${combinator}" takes a non-empty array of conditions, not ${describe(children)}` });
        return;
      }
      children.forEach((child, i) => visit(child, `${at}.${combinator}.${i}`));
      return;
    }
    const kinds = Object.keys(grammar.leaves).filter((kind) => kind in record);
    if (kinds.length !== 1) {
      const named = [...COMBINATORS, ...Object.keys(grammar.leaves)].map((k) => `"${k}"`).join(', ');
      issues.push({ path: at, message: kinds.length === 0 ? `a condition starts with one of ${named}; found ${keys.map((k) => `"${k}"`).join(', ') || 'no key'}` : `a condition is one of ${kinds.map((k) => `"${k}"`).join(' or ')}, not both` });
      return;
    }
    const parsed = grammar.leaves[kinds[0]!]!.safeParse(record);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) issues.push({ path: joined(at, issue.path), message: messageOf(issue, record) });
  };
  visit(node, path);
  return issues.slice(0, MAX_ISSUES);
}

/** `rule.all.1.op: …; rule.not: …`, for an error's detail. */
export const issuesText = (issues: readonly RuleIssue[]) => issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
