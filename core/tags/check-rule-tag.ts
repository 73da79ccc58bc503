/**
 * A rule tag's rule checked against the tenant: parsed (rule-language.ts), and every attribute key
 * and tag it reads must exist now. An attribute key exists once some person of the tenant has it
 * (registration_channel is always known: ingest writes it); a tag must be defined and not be the
 * rule's own tag. Run at definition time and again before every computation, since tags can go.
 */
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { parseRule, referencesOf, refuseRule, REGISTRATION_CHANNEL, type Rule } from './rule-language.ts';

export async function checkRuleTag(trx: TenantTransaction, tag: { key: string; valueType: string; multiValued: boolean; rule: unknown }): Promise<Rule> {
  const rule = parseRule(tag.rule, tag.valueType, tag.multiValued);
  const { attributes, tags } = referencesOf(rule);
  attributes.delete(REGISTRATION_CHANNEL);
  if (tags.has(tag.key)) refuseRule(`the rule of tag ${tag.key} reads its own values`, { unknownTags: [tag.key] });
  if (attributes.size > 0) {
    const wanted = [...attributes];
    const found = await trx.selectFrom('person_attributes').select('key').distinct().where('key', '=', anyOf(wanted, 'text')).execute();
    const unknown = wanted.filter((key) => !found.some((row) => row.key === key));
    if (unknown.length > 0) refuseRule(`the rule reads attribute(s) no person of this tenant has: ${unknown.join(', ')}`, { unknownAttributes: unknown });
  }
  if (tags.size > 0) {
    const wanted = [...tags];
    const found = await trx.selectFrom('tag_definitions').select('key').where('key', '=', anyOf(wanted, 'text')).execute();
    const unknown = wanted.filter((key) => !found.some((row) => row.key === key));
    if (unknown.length > 0) refuseRule(`the rule reads tag(s) that do not exist: ${unknown.join(', ')}`, { unknownTags: unknown });
  }
  return rule;
}
