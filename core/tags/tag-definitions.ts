/**
 * Tag definitions: a key per tenant, its kind (static values set from outside, a rule, or an
 * analyst's SQL), the shape of its values, and for computed tags how often they are recomputed.
 * SQL is checked by the SQL-tag policy before it is stored, so a refused query never becomes a tag;
 * a rule is checked against the tenant (check-rule-tag.ts) the same way. Built-in keys are reserved.
 */
import type { Selectable } from 'kysely';
import type { TagDefinitionTable } from '../db/schema.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError, notFound } from '../errors.ts';
import { isReservedTagKey } from './builtins/builtin-tag-keys.ts';
import { checkRuleTag } from './check-rule-tag.ts';
import { checkSqlTagQuery } from './sql-tag-policy.ts';
import type { TagValueType } from './tag-value-type.ts';

export type TagDefinition = Selectable<TagDefinitionTable>;

export type TagDefinitionInput = {
  key: string;
  valueType: TagValueType;
  multiValued: boolean;
  description: string;
  owner: string;
} & ({ kind: 'static' } | { kind: 'sql'; query: string; scheduleSeconds: number | null } | { kind: 'rule'; rule: unknown; scheduleSeconds: number | null });

export async function defineTag(trx: TenantTransaction, input: TagDefinitionInput, createdBy: string): Promise<TagDefinition> {
  if (isReservedTagKey(input.key)) throw new AccordError('ACCORD_ERR_CONFLICT', `${input.key} is a reserved key of a built-in tag`);
  if (input.kind === 'sql') await checkSqlTagQuery(input.query);
  const rule = input.kind === 'rule' ? await checkRuleTag(trx, { ...input, rule: input.rule }) : null;
  const row = await trx
    .insertInto('tag_definitions')
    .values({
      tenant_id: trx.tenantId,
      key: input.key,
      kind: input.kind,
      value_type: input.valueType,
      multi_valued: input.multiValued,
      description: input.description,
      owner: input.owner,
      query: input.kind === 'sql' ? input.query : null,
      rule: rule === null ? null : JSON.stringify(rule),
      schedule_seconds: input.kind === 'static' ? null : input.scheduleSeconds,
      created_by: createdBy,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AccordError('ACCORD_ERR_CONFLICT', `tag ${input.key} already exists`);
  return row;
}

/** A definition as the API and the CLI show it. */
export const tagDefinitionView = (tag: TagDefinition) => ({
  key: tag.key,
  kind: tag.kind,
  valueType: tag.value_type,
  multiValued: tag.multi_valued,
  description: tag.description,
  owner: tag.owner,
  query: tag.query,
  rule: tag.rule,
  scheduleSeconds: tag.schedule_seconds,
  lastComputedAt: tag.last_computed_at?.toISOString() ?? null,
  lastError: tag.last_error,
  createdAt: tag.created_at.toISOString(),
  archivedAt: tag.archived_at?.toISOString() ?? null,
});

export function findTag(trx: TenantTransaction, key: string): Promise<TagDefinition | undefined> {
  return trx.selectFrom('tag_definitions').selectAll().where('key', '=', key).executeTakeFirst();
}

/** The tenant's tags; archived ones only when asked for. */
export function listTags(trx: TenantTransaction, { includeArchived = false } = {}): Promise<TagDefinition[]> {
  return trx
    .selectFrom('tag_definitions')
    .selectAll()
    .$if(!includeArchived, (query) => query.where('archived_at', 'is', null))
    .orderBy('key')
    .execute();
}

/** A tag that may be computed: it exists and is not archived. */
export async function computableTag(trx: TenantTransaction, key: string): Promise<TagDefinition> {
  const tag = await findTag(trx, key);
  if (!tag) throw notFound('tag');
  if (tag.archived_at) throw new AccordError('ACCORD_ERR_CONFLICT', `tag ${key} is archived: its values and history are kept, it is no longer computed`);
  return tag;
}

/**
 * Archives a tag: it keeps its values and history (audit, processing records) but is no longer
 * listed by default, run or scheduled. Archiving an archived tag changes nothing.
 */
export async function archiveTag(trx: TenantTransaction, key: string): Promise<TagDefinition> {
  await trx.updateTable('tag_definitions').set({ archived_at: new Date() }).where('key', '=', key).where('archived_at', 'is', null).execute();
  const tag = await findTag(trx, key);
  if (!tag) throw notFound('tag');
  return tag;
}
