/**
 * One run of an SQL tag: check the stored SQL again (the policy may have tightened since it was
 * saved), run it in the sandbox, fit the rows to the tag, then in one transaction ask the gate
 * which of the persons it names may be profiled, replace the tag's values with theirs (a person
 * who withdrew loses the value) and write the run's processing record. A refused run leaves the
 * previous values in place and keeps the reason on the tag (last_error) for the analyst.
 */
import { AccordError } from '../errors.ts';
import { recordProcessing } from '../audit/processing-records.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { profilingConsent } from '../consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../consent/profiling-purpose.ts';
import { checkSqlTagQuery } from './sql-tag-policy.ts';
import { collectSqlTagValues } from './sql-tag-result.ts';
import { defaultSqlTagLimits, runSqlTagQuery, type InTenant, type SqlTagLimits } from './sql-tag-sandbox.ts';
import { computableTag, findTag, type TagDefinition } from './tag-definitions.ts';
import { TagError } from './tag-errors.ts';
import { assertLivePersons, replaceTagValues } from './tag-value-store.ts';

export const SQL_TAG_ACTIVITY = 'tags.compute-sql';

export interface SqlTagRun {
  tag: string;
  rows: number;
  persons: number;
  processingRecordId: string;
}

async function sqlTag(inTenant: InTenant, key: string): Promise<TagDefinition & { query: string }> {
  const tag = await inTenant((trx) => computableTag(trx, key));
  if (tag.kind !== 'sql' || tag.query === null) throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${key} is a ${tag.kind} tag, not an SQL tag`);
  return { ...tag, query: tag.query };
}

export async function computeSqlTag(inTenant: InTenant, gate: ConsentGate, key: string, actor: string, limits: SqlTagLimits = defaultSqlTagLimits): Promise<SqlTagRun> {
  const tag = await sqlTag(inTenant, key);
  const startedAt = new Date();
  try {
    await checkSqlTagQuery(tag.query);
    const rows = await runSqlTagQuery(inTenant, tag.query, limits);
    const values = collectSqlTagValues({ valueType: tag.value_type, multiValued: tag.multi_valued }, rows);
    return await inTenant(async (trx) => {
      const current = await findTag(trx, key);
      if (current?.query !== tag.query) throw new AccordError('ACCORD_ERR_CONFLICT', `tag ${key} changed while it was computed; run it again`);
      await assertLivePersons(trx, [...values.keys()]);
      const consented = await profilingConsent(trx, gate, values.keys(), { activity: SQL_TAG_ACTIVITY, actor, details: { tag: key } });
      const persons = await replaceTagValues(trx, key, values, `sql:${actor}`, consented);
      await trx.updateTable('tag_definitions').set({ last_computed_at: new Date(), last_error: null }).where('key', '=', key).execute();
      const processingRecordId = await recordProcessing(trx, {
        activity: SQL_TAG_ACTIVITY,
        purpose: PROFILING_PURPOSE,
        collaboration_id: null,
        actor,
        subjects_in: rows.length,
        subjects_out: persons,
        started_at: startedAt,
        finished_at: new Date(),
        details: { tag: key },
      });
      return { tag: key, rows: rows.length, persons, processingRecordId };
    });
  } catch (error) {
    if (error instanceof TagError) {
      const lastError = JSON.stringify({ code: error.code, detail: error.message, ...error.extensions, at: new Date().toISOString() });
      await inTenant((trx) => trx.updateTable('tag_definitions').set({ last_error: lastError }).where('key', '=', key).execute());
    }
    throw error;
  }
}
