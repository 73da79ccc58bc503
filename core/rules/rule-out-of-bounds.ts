/**
 * Bounds on a rule's JSON, checked before a schema walks it. zod validates a recursive schema by
 * recursing, so a rule nested some thousands of levels deep (a few KB of JSON) overflows the stack
 * and the request ends in a 500; and the size of a rule bounds the SQL compiled from it. This walk
 * keeps its own stack, so no input makes it recurse; once the depth is bounded, serialising to
 * measure the size is safe too. Both rule languages (segments, rule tags) nest at most 8 levels of
 * all / any / not, each level of all or any being an object and an array, and their leaves are a
 * few levels deep: no valid rule comes near the depth here. The languages' own limits on levels
 * and conditions are checked after parsing, with their own words.
 */
export const RULE_MAX_DEPTH = 32;
export const RULE_MAX_BYTES = 64 * 1024;

/** Why the rule is out of bounds, naming where and the limit; undefined when it is within them. */
export function ruleOutOfBounds(rule: unknown, root = 'rule'): string | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value: rule, path: root, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > RULE_MAX_DEPTH) return `the rule nests objects and arrays deeper than ${RULE_MAX_DEPTH} levels at ${next.path}`;
    for (const [key, child] of Object.entries(next.value)) pending.push({ value: child, path: `${next.path}.${key}`, depth: next.depth + 1 });
  }
  const bytes = Buffer.byteLength(JSON.stringify(rule) ?? '');
  if (bytes > RULE_MAX_BYTES) return `the rule is ${bytes} bytes of JSON; at most ${RULE_MAX_BYTES} are allowed`;
  return undefined;
}
