/**
 * `accord tags`: the tag work of the API from the command line, on the configured database and
 * through the same core functions as /v1/tags: list and define tags (a rule from a JSON file, SQL
 * from a .sql file), set a static tag's values from a CSV keyed by person id or by an identifier,
 * compute a rule, SQL or the built-in tags now (in this process, with the processing record the
 * job writes), and show one person's tags. `--json` prints a JSON document instead of a table.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import type { Kysely } from 'kysely';
import { recordAuditEvent } from '../core/audit/audit-log.ts';
import type { Config } from '../core/config/config.ts';
import type { Database } from '../core/db/schema.ts';
import { withTenant, type TenantTransaction } from '../core/db/tenant-scope.ts';
import { notFound } from '../core/errors.ts';
import { personsOfIdentifiers } from '../core/identifiers/identifier-persons.ts';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import { resolveMasterKey } from '../core/identity/master-key.ts';
import type { ConsentGate } from '../core/consent/consent-gate.ts';
import { computeBuiltinTags } from '../core/tags/builtins/compute-builtin-tags.ts';
import { computeRuleTag } from '../core/tags/compute-rule-tag.ts';
import { enqueueRuleTagRun } from '../core/tags/compute-rule-tag-job.ts';
import { computeSqlTag } from '../core/tags/compute-sql-tag.ts';
import { enqueueSqlTagRun } from '../core/tags/compute-sql-tag-job.ts';
import { MAX_STATIC_VALUES_PER_CALL, setStaticTagValues } from '../core/tags/set-static-tag-values.ts';
import { defineTag, findTag, listTags, tagDefinitionView, type TagDefinitionInput } from '../core/tags/tag-definitions.ts';
import { TagError } from '../core/tags/tag-errors.ts';
import { listPersonTags } from '../core/tags/tag-value-store.ts';
import { parseTagValue, tagValueTypes, type TagScalar, type TagValueType } from '../core/tags/tag-value-type.ts';
import type { Tenant } from '../core/tenancy/tenants.ts';
import { usageText, type UsageTopic } from './command-usages.ts';
import { identifierColumn, readCsvFile, type CsvFileRow } from './csv-file-rows.ts';
import { printResult, tableText } from './print-rows.ts';
import { readJsonFile, readTextFile } from './read-json-file.ts';
import { UsageError } from './usage-error.ts';
import { withTenantDatabase } from './with-tenant-database.ts';

const TAG_KEY = /^[a-z][a-z0-9_]{0,62}$/;
const ACTOR = 'cli';

const options = {
  tenant: { type: 'string', default: DEFAULT_TENANT },
  json: { type: 'boolean', default: false },
  type: { type: 'string' },
  multi: { type: 'boolean', default: false },
  description: { type: 'string' },
  owner: { type: 'string' },
  rule: { type: 'string' },
  sql: { type: 'string' },
  schedule: { type: 'string' },
  lenient: { type: 'boolean', default: false },
} as const;
type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof options }>>['values'];

export async function tagsCommand(config: Config, gate: ConsentGate, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options });
  const [action, ...rest] = positionals;
  const arity: Record<string, number> = { list: 0, define: 1, set: 2, compute: 1, person: 1 };
  if (!action) return console.log(usageText('tags'));
  if (arity[action] === undefined) throw new UsageError(`unknown tags command "${action}"\n${usageText('tags')}`);
  if (rest.length !== arity[action]) throw new UsageError(usageText(`tags ${action}` as UsageTopic));
  const definition = action === 'define' ? await definitionOf(rest[0]!, values) : undefined;
  const csv = action === 'set' ? await readCsvFile(rest[1]!) : undefined;

  await withTenantDatabase(config, values.tenant, async (db, tenant) => {
    const inTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => withTenant(db, tenant.id, work);
    switch (action) {
      case 'list': {
        const tags = await inTenant((trx) => listTags(trx));
        return printResult(values.json, { tags: tags.map(tagDefinitionView) }, () => tableText(tags.map(tagDefinitionView), ['key', 'kind', 'valueType', 'multiValued', 'scheduleSeconds', 'lastComputedAt', 'owner', 'description']));
      }
      case 'define': {
        const tag = await inTenant(async (trx) => {
          const defined = await defineTag(trx, definition!, ACTOR);
          await recordAuditEvent(trx, { actor: ACTOR, action: 'tags.defined', targetType: 'tag', targetId: defined.key, details: { kind: defined.kind } });
          if (defined.kind === 'sql' && defined.schedule_seconds) await enqueueSqlTagRun(trx, defined.key);
          if (defined.kind === 'rule' && defined.schedule_seconds) await enqueueRuleTagRun(trx, defined.key);
          return defined;
        });
        return printResult(values.json, tagDefinitionView(tag), () => `defined ${tag.kind} tag ${tag.key} (${tag.value_type}${tag.multi_valued ? ', multi-valued' : ''})`);
      }
      case 'set':
        return setValues(db, config, tenant, rest[0]!, csv!.header, csv!.rows, values);
      case 'compute':
        return compute(inTenant, gate, rest[0]!, values.json);
      case 'person': {
        const personId = await personOf(inTenant, config, rest[0]!);
        const tags = (await inTenant((trx) => listPersonTags(trx, personId))).map((value) => ({ ...value, updatedAt: value.updatedAt.toISOString() }));
        return printResult(values.json, { personId, values: tags }, () => (tags.length === 0 ? `person ${personId} has no tag values` : tableText(tags, ['tag', 'value', 'source', 'updatedAt'])));
      }
    }
  });
}



/** The definition the flags describe; the rule itself and the SQL are checked by defineTag. */
async function definitionOf(key: string, values: Values): Promise<TagDefinitionInput> {
  if (!TAG_KEY.test(key)) throw new UsageError(`tag key "${key}": lower-case letters, digits and _, starting with a letter, at most 63\n${usageText('tags define')}`);
  if (!(tagValueTypes as readonly string[]).includes(values.type ?? '')) throw new UsageError(`--type is one of ${tagValueTypes.join(', ')}\n${usageText('tags define')}`);
  for (const name of ['description', 'owner'] as const) {
    const text = values[name]?.trim() ?? '';
    if (text === '' || text.length > (name === 'owner' ? 200 : 2_000)) throw new UsageError(`give --${name} (1 to ${name === 'owner' ? 200 : 2_000} characters)\n${usageText('tags define')}`);
  }
  if (values.rule !== undefined && values.sql !== undefined) throw new UsageError(`a tag has a rule or SQL, not both\n${usageText('tags define')}`);
  const schedule = values.schedule === undefined ? null : Number(values.schedule);
  if (schedule !== null && !(Number.isInteger(schedule) && schedule >= 60 && schedule <= 2_592_000)) throw new UsageError('--schedule is whole seconds from 60 to 2592000 (30 days)');
  const common = { key, valueType: values.type as TagValueType, multiValued: values.multi, description: values.description!.trim(), owner: values.owner!.trim() };
  if (values.rule !== undefined) return { ...common, kind: 'rule', rule: await readJsonFile(values.rule), scheduleSeconds: schedule };
  if (values.sql !== undefined) return { ...common, kind: 'sql', query: (await readTextFile(values.sql)).trim(), scheduleSeconds: schedule };
  if (schedule !== null) throw new UsageError('only a rule or SQL tag has a --schedule');
  return { ...common, kind: 'static' };
}

/** A CSV cell as a value of the tag's type, checked as the API checks values; '' means "remove". */
function cellValue(type: TagValueType, text: string): { value: TagScalar | null } | { problem: string } {
  if (text === '') return { value: null };
  let value: TagScalar = text;
  if (type === 'boolean') {
    if (!/^(true|false)$/i.test(text)) return { problem: 'expected true or false' };
    value = text.toLowerCase() === 'true';
  } else if (type === 'number') {
    value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  }
  const parsed = parseTagValue({ valueType: type, multiValued: false }, value);
  return parsed.ok ? { value } : { problem: parsed.problem };
}

/** Which column names the person: `person_id`, or exactly one identifier column. */
function keyColumnOf(header: readonly string[]): string {
  const candidates = header.filter((name) => name === 'person_id' || identifierColumn(name) !== undefined);
  if (!header.includes('value') || candidates.length !== 1) {
    throw new UsageError(`the CSV needs a value column and one column naming the person (person_id, or an identifier such as email or wechat_openid@<app id>); found ${header.join(', ')}`);
  }
  return candidates[0]!;
}

async function setValues(db: Kysely<Database>, config: Config, tenant: Tenant, key: string, header: string[], rows: CsvFileRow[], values: Values): Promise<void> {
  const keyColumn = keyColumnOf(header);
  const id = identifierColumn(keyColumn);
  const keys = id && new IdentifierKeys(resolveMasterKey(config));
  const result = await withTenant(db, tenant.id, async (trx) => {
    const tag = await findTag(trx, key);
    if (!tag) throw notFound('tag');
    if (tag.kind !== 'static') throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${key} is a ${tag.kind} tag: its values are computed, not set`);
    const persons: ReadonlyArray<{ personId: number } | { detail: string } | { unknown: true }> = id
      ? await personsOfIdentifiers(trx, keys!, rows.map((row) => ({ type: id.type, scope: id.scope, value: row.cells.get(keyColumn)! })))
      : rows.map((row) => (/^[1-9]\d{0,15}$/.test(row.cells.get(keyColumn)!) ? { personId: Number(row.cells.get(keyColumn)) } : { detail: 'person_id is a positive whole number' }));

    const byPerson = new Map<number, { rows: number[]; values: Array<TagScalar | null> }>();
    let skipped = 0;
    rows.forEach((row, i) => {
      const found = persons[i]!;
      if (!('personId' in found)) {
        if (values.lenient) return void (skipped += 1);
        const why = 'detail' in found ? found.detail : `no person in ${tenant.slug} has this ${keyColumn}`;
        throw new TagError('ACCORD_ERR_TAG_UNKNOWN_PERSON', `row ${row.row}: ${why}; nothing was set (--lenient skips such rows)`, { row: row.row });
      }
      const cell = cellValue(tag.value_type, row.cells.get('value')!);
      if ('problem' in cell) throw new TagError('ACCORD_ERR_TAG_VALUE', `row ${row.row}: ${cell.problem} (tag ${key} is ${tag.value_type}); nothing was set`, { row: row.row });
      const entry = byPerson.get(found.personId) ?? { rows: [], values: [] };
      entry.rows.push(row.row);
      entry.values.push(cell.value);
      byPerson.set(found.personId, entry);
    });

    const items = [...byPerson].map(([personId, entry]) => {
      const removes = entry.values.includes(null);
      if (entry.values.length > 1 && (!tag.multi_valued || removes)) {
        const why = tag.multi_valued ? 'an empty value (remove) and values' : `several values, but tag ${key} holds one`;
        throw new TagError('ACCORD_ERR_TAG_VALUE', `rows ${entry.rows.join(', ')} give person ${personId} ${why}; nothing was set`, { rows: entry.rows });
      }
      const value = removes ? null : tag.multi_valued ? entry.values : entry.values[0]!;
      return { personId, value };
    });
    let set = 0;
    let removed = 0;
    for (let start = 0; start < items.length; start += MAX_STATIC_VALUES_PER_CALL) {
      const done = await setStaticTagValues(trx, key, items.slice(start, start + MAX_STATIC_VALUES_PER_CALL), ACTOR);
      set += done.set;
      removed += done.removed;
    }
    await recordAuditEvent(trx, { actor: ACTOR, action: 'tags.values.set', targetType: 'tag', targetId: key, details: { set, removed, skipped } });
    return { tag: key, set, removed, skipped };
  });
  printResult(values.json, result, () => `tag ${key}: ${result.set} set, ${result.removed} removed${result.skipped > 0 ? `, ${result.skipped} rows skipped (no such person)` : ''}`);
}

type InTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>;

/** Runs what the tag's job would run, here and now; the run writes its processing record. */
async function compute(inTenant: InTenant, gate: ConsentGate, key: string, json: boolean): Promise<void> {
  if (key === 'builtins') {
    const run = await inTenant(async (trx) => {
      const computed = await computeBuiltinTags(trx, gate, { actor: ACTOR });
      await recordAuditEvent(trx, { actor: ACTOR, action: 'tags.builtins.computed', targetType: 'tag', targetId: 'builtins', details: computed.persons });
      return computed;
    });
    return printResult(json, run, () => `built-in tags computed: rfm ${run.persons.rfm}, lifecycle ${run.persons.lifecycle}, clv ${run.persons.clv} persons; processing record ${run.processingRecordId}`);
  }
  const tag = await inTenant((trx) => findTag(trx, key));
  if (!tag) throw notFound('tag');
  if (tag.kind === 'static') throw new TagError('ACCORD_ERR_TAG_KIND', `tag ${key} is a static tag; only SQL and rule tags are computed`);
  const run = tag.kind === 'sql' ? await computeSqlTag(inTenant, gate, key, ACTOR) : await computeRuleTag(inTenant, gate, key, ACTOR);
  printResult(json, run, () => `tag ${key} computed: ${run.persons} persons; processing record ${run.processingRecordId}`);
}

/** A person id, or the person an identifier (`email=a@example.com`, `wechat_openid@wx1=o123`) names. */
async function personOf(inTenant: InTenant, config: Config, ref: string): Promise<number> {
  if (/^[1-9]\d{0,15}$/.test(ref)) {
    const person = await inTenant((trx) => trx.selectFrom('persons').select('id').where('id', '=', Number(ref)).executeTakeFirst());
    if (!person) throw notFound('person');
    return Number(person.id);
  }
  const eq = ref.indexOf('=');
  const column = eq < 0 ? undefined : identifierColumn(ref.slice(0, eq));
  if (!column) throw new UsageError(`name the person by id or as type=value (email=a@example.com, wechat_openid@<app id>=...)\n${usageText('tags person')}`);
  const keys = new IdentifierKeys(resolveMasterKey(config));
  const [found] = await inTenant((trx) => personsOfIdentifiers(trx, keys, [{ ...column, value: ref.slice(eq + 1) }]));
  if ('invalid' in found!) throw new UsageError(`${ref.slice(0, eq)}: ${found.detail}`);
  if (!('personId' in found!)) throw notFound('person');
  return found.personId;
}
