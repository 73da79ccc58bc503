/**
 * One run of a rule tag, in one transaction: check the stored rule again against the tenant (a tag
 * it reads may be gone), ask the gate which persons may be profiled, replace the tag's values with
 * the compiled statement's result for them (a person who withdrew loses the value), mark the tag
 * computed and write the run's processing record. A refused run leaves the previous values and
 * keeps the reason on the tag (last_error).
 */
import { sql } from 'kysely';
import { recordProcessing } from '../audit/processing-records.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { profilingConsent } from '../consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../consent/profiling-purpose.ts';
import { checkRuleTag } from './check-rule-tag.ts';
import { compileRule } from './compile-rule.ts';
import type { InTenant } from './sql-tag-sandbox.ts';
import { computableTag } from './tag-definitions.ts';
import { TagError } from './tag-errors.ts';
import { insertComputedValues } from './write-computed-values.ts';

export const RULE_TAG_ACTIVITY = 'tags.compute-rule';

export interface RuleTagRun {
  tag: string;
  persons: number;
  processingRecordId: string;
}

/** `asOf` is the evaluation time that windows count back from (now unless given). */
export async function computeRuleTag(inTenant: InTenant, gate: ConsentGate, key: string, actor: string, options: { asOf?: Date } = {}): Promise<RuleTagRun> {
  const asOf = options.asOf ?? new Date();
  try {
    return await inTenant(async (trx) => {
      const startedAt = new Date();
      const tag = await computableTag(trx, key);
      const stored = tag.rule as Record<string, unknown> | null;
      if (tag.kind !== 'rule' || stored === null) throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${key} is a ${tag.kind} tag, not a rule tag`);
      if ('builtin' in stored) throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${key} is a built-in tag; compute it with POST /v1/tags/builtins/runs`);
      const rule = await checkRuleTag(trx, { key, valueType: tag.value_type, multiValued: tag.multi_valued, rule: stored });
      const consented = await profilingConsent(trx, gate, 'all live persons', { activity: RULE_TAG_ACTIVITY, actor, details: { tag: key } });
      await trx.deleteFrom('tag_values').where('tag_key', '=', key).execute();
      const persons = await insertComputedValues(trx, sql`select ${key}::text as tag_key, r.person_id, r.value from (${compileRule(rule, asOf)}) r`, `rule:${actor}`, consented);
      await trx.updateTable('tag_definitions').set({ last_computed_at: new Date(), last_error: null }).where('key', '=', key).execute();
      const processingRecordId = await recordProcessing(trx, {
        activity: RULE_TAG_ACTIVITY,
        purpose: PROFILING_PURPOSE,
        collaboration_id: null,
        actor,
        subjects_in: consented.size,
        subjects_out: persons,
        started_at: startedAt,
        finished_at: new Date(),
        details: { tag: key, asOf: asOf.toISOString() },
      });
      return { tag: key, persons, processingRecordId };
    });
  } catch (error) {
    if (error instanceof TagError && error.code !== 'ACCORD_ERR_TAG_KIND') {
      const lastError = JSON.stringify({ code: error.code, detail: error.message, ...error.extensions, at: new Date().toISOString() });
      await inTenant((trx) => trx.updateTable('tag_definitions').set({ last_error: lastError }).where('key', '=', key).execute());
    }
    throw error;
  }
}
