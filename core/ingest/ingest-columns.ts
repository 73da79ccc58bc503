/**
 * What each column (CSV header cell, or NDJSON/JSON key) of an ingest record means, per kind:
 * - an identifier, named by its type (`email`, `phone`, `email_sha256`, ...), with the issuer after
 *   an `@` for scoped types (`wechat_openid@wx1234`, `tmall_user_id@shop-88`);
 * - a member attribute, `attr.<key>` (members only);
 * - a field of the registration consent, `consent.<field>` (members only; registration-consent.ts);
 * - one of the kind's own fields (order_id, placed_at, ...).
 * Pure: no I/O.
 */
import { isIdentifierType, scopeRuleOf, type IdentifierType } from '../identifiers/identifier-types.ts';
import { PRINTABLE_ASCII_ID } from '../identifiers/normalise-platform-id.ts';
import { consentColumnProblem, CONSENT_COLUMN_PREFIX } from './registration-consent.ts';

export const ingestKinds = ['members', 'orders', 'events'] as const;
export type IngestKind = (typeof ingestKinds)[number];

export const fieldsOfKind = {
  members: { required: [], optional: ['member_id'] },
  orders: { required: ['order_id', 'placed_at', 'amount', 'currency', 'channel', 'status'], optional: ['items'] },
  events: { required: ['event_id', 'type', 'occurred_at', 'channel'], optional: ['properties'] },
} as const satisfies Record<IngestKind, { required: readonly string[]; optional: readonly string[] }>;

export type ColumnRole =
  | { readonly role: 'identifier'; readonly type: IdentifierType; readonly scope: string | undefined }
  | { readonly role: 'attribute'; readonly key: string }
  | { readonly role: 'consent'; readonly field: string }
  | { readonly role: 'field'; readonly name: string };

export const ATTRIBUTE_PREFIX = 'attr.';
/** The attribute key rule of person_attributes (migration 0009). */
export const ATTRIBUTE_KEY = /^[a-z][a-z0-9_]{0,62}$/;

/** The column's role, or why the name means nothing for this kind. */
export function classifyColumn(kind: IngestKind, name: string): ColumnRole | { readonly error: string } {
  const fields: readonly string[] = [...fieldsOfKind[kind].required, ...fieldsOfKind[kind].optional];
  if (fields.includes(name)) return { role: 'field', name };
  if (name.startsWith(ATTRIBUTE_PREFIX)) {
    if (kind !== 'members') return { error: `attribute columns (${name}) belong in a members file` };
    const key = name.slice(ATTRIBUTE_PREFIX.length);
    return ATTRIBUTE_KEY.test(key) ? { role: 'attribute', key } : { error: `attribute key ${JSON.stringify(key)} is not lower-case letters, digits and _ starting with a letter` };
  }
  if (name.startsWith(CONSENT_COLUMN_PREFIX)) {
    if (kind !== 'members') return { error: `consent columns (${name}) belong in a members file` };
    const field = name.slice(CONSENT_COLUMN_PREFIX.length);
    const problem = consentColumnProblem(field);
    return problem ? { error: problem } : { role: 'consent', field };
  }
  const at = name.indexOf('@');
  const type = at < 0 ? name : name.slice(0, at);
  const scope = at < 0 ? undefined : name.slice(at + 1);
  if (!isIdentifierType(type)) return { error: `unknown column ${JSON.stringify(name)}: not a field of ${kind}, an identifier type or attr.<key>` };
  if (scopeRuleOf(type) === 'required' && scope === undefined) return { error: `${type} is only unique within its issuer: name the column ${type}@<app or shop id>` };
  if (scopeRuleOf(type) === 'none' && scope !== undefined) return { error: `${type} takes no @scope` };
  if (scope !== undefined && !PRINTABLE_ASCII_ID.test(scope)) return { error: `the scope of ${JSON.stringify(name)} is not 1-128 printable ASCII characters` };
  return { role: 'identifier', type, scope };
}

/** Remembers each name's role, since NDJSON and JSON records repeat the same keys on every line. */
export class ColumnRoles {
  private readonly known = new Map<string, ColumnRole | { readonly error: string }>();
  constructor(readonly kind: IngestKind) {}

  of(name: string): ColumnRole | { readonly error: string } {
    let role = this.known.get(name);
    if (!role) {
      role = classifyColumn(this.kind, name);
      if (this.known.size < 10_000) this.known.set(name, role);
    }
    return role;
  }
}

/** Header problems that make the whole file unreadable: duplicates, unknown names, missing fields. */
export function headerProblems(kind: IngestKind, names: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let identifiers = 0;
  names.forEach((name, index) => {
    if (seen.has(name)) problems.push(`column ${index + 1} repeats ${JSON.stringify(name)}`);
    seen.add(name);
    const role = classifyColumn(kind, name);
    if ('error' in role) problems.push(`column ${index + 1}: ${role.error}`);
    else if (role.role === 'identifier') identifiers += 1;
  });
  const missing = fieldsOfKind[kind].required.filter((field) => !seen.has(field));
  if (missing.length > 0) problems.push(`a ${kind} file needs the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  if (identifiers === 0) problems.push('no identifier column (email, phone, wechat_openid@<appid>, ...): rows could not be matched to anyone');
  return problems;
}
