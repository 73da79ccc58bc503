/**
 * `accord segments`: the segment work of the API from the command line, through the same core
 * functions as /v1/segments: list and show, estimate a rule, create a static or dynamic segment
 * from a JSON rule or an imported one from a CSV of identifiers, refresh, count members (for a
 * purpose only through the consent gate, which writes the processing record) and the k-anonymous
 * portrait. `--json` prints a JSON document instead of a table.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import { regimes, type Regime } from '../consent/consent-event.ts';
import { recordAuditEvent } from '../core/audit/audit-log.ts';
import type { Config } from '../core/config/config.ts';
import type { ConsentGate } from '../core/consent/consent-gate.ts';
import { withTenant, type TenantTransaction } from '../core/db/tenant-scope.ts';
import { notFound } from '../core/errors.ts';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import type { IdentifierInput } from '../core/identifiers/normalise-identifier.ts';
import { resolveMasterKey } from '../core/identity/master-key.ts';
import { estimateSegmentRule } from '../core/segments/evaluate-segment.ts';
import { enqueueSegmentRefresh } from '../core/segments/refresh-segment-job.ts';
import { segmentMembersFor } from '../core/segments/segment-members-for.ts';
import { DEFAULT_MIN_CELL, segmentPortrait, type PortraitDimension } from '../core/segments/segment-portrait.ts';
import { parseSegmentRule } from '../core/segments/segment-rule.ts';
import { createSegment, findSegment, listSegments, refreshSegment, type Segment, type SegmentInput } from '../core/segments/segment-store.ts';
import { usageText, type UsageTopic } from './command-usages.ts';
import { identifierColumn, readCsvFile } from './csv-file-rows.ts';
import { printResult, tableText } from './print-rows.ts';
import { readJsonFile } from './read-json-file.ts';
import { UsageError } from './usage-error.ts';
import { withTenantDatabase } from './with-tenant-database.ts';

const ACTOR = 'cli';
const ID = /^[1-9]\d{0,15}$/;
const BUILT_IN_DIMENSIONS = ['age_band', 'lifecycle', 'order_channel'] as const;
const KEY = /^[a-z][a-z0-9_]{0,62}$/;

const options = {
  tenant: { type: 'string', default: DEFAULT_TENANT },
  json: { type: 'boolean', default: false },
  rule: { type: 'string' },
  kind: { type: 'string' },
  schedule: { type: 'string' },
  identifiers: { type: 'string' },
  region: { type: 'string' },
  purpose: { type: 'string' },
  regime: { type: 'string' },
  recipient: { type: 'string' },
  by: { type: 'string', multiple: true },
  k: { type: 'string' },
} as const;

type InTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>;

export async function segmentsCommand(config: Config, gate: ConsentGate, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options });
  const [action, ...rest] = positionals;
  const arity: Record<string, number> = { list: 0, show: 1, estimate: 1, create: 1, refresh: 1, members: 1, portrait: 1 };
  if (!action) return console.log(usageText('segments'));
  if (arity[action] === undefined) throw new UsageError(`unknown segments command "${action}"\n${usageText('segments')}`);
  if (rest.length !== arity[action]) throw new UsageError(usageText(`segments ${action}` as UsageTopic));
  const [arg] = rest as [string];
  const id = ['show', 'refresh', 'members', 'portrait'].includes(action) ? segmentId(arg) : 0;
  // Everything read from files or flags is checked before the database is opened.
  const rule = action === 'estimate' ? await readJsonFile(arg) : undefined;
  const input = action === 'create' ? await segmentInputOf(arg, values) : undefined;
  const purpose = action === 'members' ? purposeOf(values) : undefined;
  const portrait = action === 'portrait' ? portraitRequestOf(values) : undefined;

  await withTenantDatabase(config, values.tenant, async (db, tenant) => {
    const inTenant: InTenant = (work) => withTenant(db, tenant.id, work);
    switch (action) {
      case 'list': {
        const segments = (await inTenant((trx) => listSegments(trx))).map(segmentView);
        return printResult(values.json, { segments }, () => tableText(segments, ['id', 'name', 'kind', 'memberCount', 'scheduleSeconds', 'lastRefreshedAt']));
      }
      case 'show': {
        const segment = await inTenant((trx) => findSegment(trx, id));
        if (!segment) throw notFound('segment');
        return printResult(values.json, segmentView(segment), () => tableText([segmentView(segment)], ['id', 'name', 'kind', 'memberCount', 'scheduleSeconds', 'lastRefreshedAt', 'rule', 'importReport']));
      }
      case 'estimate': {
        const members = await inTenant((trx) => estimateSegmentRule(trx, gate, parseSegmentRule(rule), ACTOR));
        return printResult(values.json, { members }, () => `the rule selects ${members} persons now`);
      }
      case 'create': {
        const identifierKeys = new IdentifierKeys(resolveMasterKey(config));
        const created = await inTenant(async (trx) => {
          const result = await createSegment(trx, gate, input!, ACTOR, { identifierKeys });
          await recordAuditEvent(trx, { actor: ACTOR, action: 'segments.created', targetType: 'segment', targetId: String(result.segment.id), details: { kind: result.segment.kind, members: result.refresh.memberCount } });
          if (result.segment.scheduleSeconds) await enqueueSegmentRefresh(trx, result.segment.id, result.segment.scheduleSeconds * 1000);
          return result;
        });
        const { segment, refresh } = created;
        const report = segment.importReport ? `; ${segment.importReport.matched} of ${segment.importReport.identifiers} identifiers matched` : '';
        return printResult(values.json, { segment: segmentView(segment), refresh }, () => `created ${segment.kind} segment ${segment.id} "${segment.name}": ${refresh.memberCount} members${report}`);
      }
      case 'refresh': {
        const refresh = await inTenant(async (trx) => {
          const done = await refreshSegment(trx, gate, id, ACTOR);
          await recordAuditEvent(trx, { actor: ACTOR, action: 'segments.refreshed', targetType: 'segment', targetId: String(id), details: { ...done } });
          return done;
        });
        return printResult(values.json, refresh, () => `segment ${id} refresh ${refresh.refreshId}: ${refresh.added} added, ${refresh.removed} removed, ${refresh.memberCount} members`);
      }
      case 'members':
        return members(inTenant, gate, id, purpose, values.json);
      case 'portrait': {
        const result = await inTenant((trx) => segmentPortrait(trx, gate, id, portrait!.dimensions, ACTOR, portrait!.k));
        return printResult(values.json, result, () => portraitText(result));
      }
    }
  });
}

const segmentView = (s: Segment) => ({ ...s, lastRefreshedAt: s.lastRefreshedAt?.toISOString() ?? null, createdAt: s.createdAt.toISOString() });

function segmentId(text: string): number {
  if (!ID.test(text)) throw new UsageError(`segment id "${text}" is not a positive whole number`);
  return Number(text);
}

async function segmentInputOf(name: string, values: { rule?: string | undefined; kind?: string | undefined; schedule?: string | undefined; identifiers?: string | undefined; region?: string | undefined }): Promise<SegmentInput> {
  if (name.trim() === '' || name.length > 200) throw new UsageError('a segment name has 1 to 200 characters');
  if ((values.rule === undefined) === (values.identifiers === undefined)) throw new UsageError(`give --rule (static or dynamic) or --identifiers (imported)\n${usageText('segments create')}`);
  if (values.identifiers !== undefined) {
    if (values.kind !== undefined && values.kind !== 'imported') throw new UsageError('a segment from --identifiers is an imported segment');
    return { name, kind: 'imported', identifiers: await identifiersOf(values.identifiers, values.region) };
  }
  const kind = values.kind ?? 'static';
  if (kind !== 'static' && kind !== 'dynamic') throw new UsageError('--kind with --rule is static or dynamic');
  const schedule = values.schedule === undefined ? null : Number(values.schedule);
  if (schedule !== null && !(Number.isInteger(schedule) && schedule >= 60 && schedule <= 2_592_000)) throw new UsageError('--schedule is whole seconds from 60 to 2592000 (30 days)');
  return { name, kind, rule: await readJsonFile(values.rule!), scheduleSeconds: schedule };
}

/** Every non-empty cell of a CSV whose columns are identifier types, as one identifier. */
async function identifiersOf(path: string, region: string | undefined): Promise<IdentifierInput[]> {
  const { header, rows } = await readCsvFile(path);
  const columns = header.map((name) => ({ name, column: identifierColumn(name) }));
  const other = columns.find((c) => c.column === undefined);
  if (other) throw new UsageError(`${path}: column "${other.name}" is not an identifier type (email, phone, wechat_openid@<app id>, ...)`);
  const inputs = rows.flatMap((row) => columns.flatMap(({ name, column }) => (row.cells.get(name) ? [{ type: column!.type, scope: column!.scope, value: row.cells.get(name)!, region }] : [])));
  if (inputs.length === 0) throw new UsageError(`${path} names no identifiers`);
  return inputs;
}

function purposeOf(values: { purpose?: string | undefined; regime?: string | undefined; recipient?: string | undefined }): { purpose: string; regime: Regime; recipient: string | undefined } | undefined {
  if (values.purpose === undefined) {
    if (values.regime !== undefined || values.recipient !== undefined) throw new UsageError('--regime and --recipient go with --purpose');
    return undefined;
  }
  if (!(regimes as readonly string[]).includes(values.regime ?? '')) throw new UsageError(`with --purpose give --regime ${regimes.join('|')}`);
  return { purpose: values.purpose, regime: values.regime as Regime, recipient: values.recipient };
}

async function members(inTenant: InTenant, gate: ConsentGate, id: number, purpose: ReturnType<typeof purposeOf>, json: boolean): Promise<void> {
  if (!purpose) {
    const segment = await inTenant((trx) => findSegment(trx, id));
    if (!segment) throw notFound('segment');
    return printResult(json, { segmentId: id, members: segment.memberCount }, () => `segment ${id}: ${segment.memberCount} members`);
  }
  const counted = await inTenant(async (trx) => {
    const allowed = await segmentMembersFor(trx, gate, id, { ...purpose, activity: 'segments.members-for-purpose', actor: ACTOR });
    return { segmentId: id, purpose: purpose.purpose, members: allowed.candidates, allowed: allowed.size, denied: allowed.denied, evaluatedAtSeq: allowed.evaluatedAtSeq };
  });
  printResult(json, counted, () => `segment ${id} for ${purpose.purpose}: ${counted.allowed} of ${counted.members} members allowed (no consent ${counted.denied.noConsent}, refused ${counted.denied.refused}, expired ${counted.denied.expired})`);
}

function portraitRequestOf(values: { by?: string[] | undefined; k?: string | undefined }): { dimensions: PortraitDimension[]; k: number } {
  const by = values.by ?? [];
  if (by.length === 0 || by.length > 10) throw new UsageError(`give 1 to 10 --by dimensions\n${usageText('segments portrait')}`);
  const dimensions = by.map((by): PortraitDimension => {
    if ((BUILT_IN_DIMENSIONS as readonly string[]).includes(by)) return { builtIn: by as (typeof BUILT_IN_DIMENSIONS)[number] };
    const [kind, key = ''] = by.split(':', 2) as [string, string?];
    if ((kind === 'tag' || kind === 'attribute') && KEY.test(key)) return kind === 'tag' ? { tag: key } : { attribute: key };
    throw new UsageError(`--by ${by}: expected attribute:<key>, tag:<key>, ${BUILT_IN_DIMENSIONS.join(', ')}`);
  });
  const k = values.k === undefined ? DEFAULT_MIN_CELL : Number(values.k);
  // The same floor as the API: no portrait cell may describe fewer people than this.
  if (!Number.isInteger(k) || k < DEFAULT_MIN_CELL || k > 10_000) throw new UsageError(`--k is a whole number from ${DEFAULT_MIN_CELL} to 10000`);
  return { dimensions, k };
}

function portraitText(portrait: Awaited<ReturnType<typeof segmentPortrait>>): string {
  if (portrait.suppressed) return `segment ${portrait.segmentId} has ${portrait.members} members, fewer than k = ${portrait.k}: no portrait`;
  const parts = portrait.distributions.map(({ dimension, cells }) => {
    const title = 'tag' in dimension ? `tag ${dimension.tag}` : 'attribute' in dimension ? `attribute ${dimension.attribute}` : dimension.builtIn;
    return `${title}\n${tableText(cells, ['value', 'count'])}`;
  });
  return [`segment ${portrait.segmentId}: ${portrait.members} members, cells of at least ${portrait.k}`, ...parts].join('\n\n');
}
