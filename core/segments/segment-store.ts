/**
 * Saved segments and their membership. Creating a segment is its first refresh; a dynamic segment
 * is refreshed again on demand or on its schedule. Every refresh writes the members it added and
 * removed under its id (segment_membership_changes), so activation can send only the difference.
 * Members are only persons the gate allows for profiling when the segment is made or refreshed: a
 * person who withdrew leaves a dynamic segment at its next refresh. A static or imported segment
 * keeps its snapshot, and every use of it (portrait, members for a purpose, PSI) gates again.
 * Erasure takes a person out of every segment the same way, as a refresh of its own.
 */
import { sql } from 'kysely';
import { anyOf } from '../db/sql-any.ts';
import type { ConsentGate } from '../consent/consent-gate.ts';
import { ConsentedPersons } from '../consent/consented-persons.ts';
import { profilingConsent } from '../consent/profiling-consent.ts';
import { PROFILING_PURPOSE } from '../consent/profiling-purpose.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError, notFound } from '../errors.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { personsOfIdentifiers } from '../identifiers/identifier-persons.ts';
import type { IdentifierInput } from '../identifiers/normalise-identifier.ts';
import { defaultSegmentLimits, segmentRuleMembers, type SegmentLimits } from './evaluate-segment.ts';
import { SegmentError } from './segment-errors.ts';
import { parseSegmentRule, type SegmentRule } from './segment-rule.ts';

export type SegmentInput =
  | { name: string; kind: 'static' | 'dynamic'; rule: unknown; scheduleSeconds?: number | null | undefined }
  | { name: string; kind: 'imported'; identifiers: readonly IdentifierInput[] };

export interface Segment {
  id: number;
  name: string;
  kind: 'static' | 'dynamic' | 'imported';
  rule: SegmentRule | null;
  scheduleSeconds: number | null;
  memberCount: number;
  importReport: ImportReport | null;
  lastRefreshId: number | null;
  lastRefreshedAt: Date | null;
  createdAt: Date;
  archivedAt: Date | null;
}

export interface ImportReport {
  readonly identifiers: number;
  readonly matched: number;
  readonly unmatched: number;
  /** Of the unmatched: entries no normaliser accepted, by reason. */
  readonly invalid: Record<string, number>;
}

export interface Refresh {
  readonly refreshId: number;
  readonly added: number;
  readonly removed: number;
  readonly memberCount: number;
}

export interface SegmentContext {
  readonly limits?: SegmentLimits;
  readonly now?: Date;
  /** Needed for imported segments: identifiers are found by their keyed lookup hash. */
  readonly identifierKeys?: IdentifierKeys;
}

/** Ids as one Postgres array literal: one bound parameter however many members there are. */
const idArray = (ids: readonly number[]) => `{${ids.join(',')}}`;

function toSegment(row: {
  id: number;
  name: string;
  kind: Segment['kind'];
  rule: unknown;
  schedule_seconds: number | null;
  member_count: number;
  import_report: unknown;
  last_refresh_id: number | null;
  last_refreshed_at: Date | null;
  created_at: Date;
  archived_at: Date | null;
}): Segment {
  return {
    id: Number(row.id),
    name: row.name,
    kind: row.kind,
    rule: row.rule as SegmentRule | null,
    scheduleSeconds: row.schedule_seconds,
    memberCount: row.member_count,
    importReport: row.import_report as ImportReport | null,
    lastRefreshId: row.last_refresh_id === null ? null : Number(row.last_refresh_id),
    lastRefreshedAt: row.last_refreshed_at,
    createdAt: row.created_at,
    archivedAt: row.archived_at,
  };
}

export async function findSegment(trx: TenantTransaction, id: number, { forUpdate = false } = {}): Promise<Segment | undefined> {
  let query = trx.selectFrom('segments').selectAll().where('id', '=', id);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toSegment(row);
}

/** The tenant's segments; archived ones only when asked for. */
export async function listSegments(trx: TenantTransaction, { includeArchived = false } = {}): Promise<Segment[]> {
  const rows = await trx
    .selectFrom('segments')
    .selectAll()
    .$if(!includeArchived, (query) => query.where('archived_at', 'is', null))
    .orderBy('id')
    .execute();
  return rows.map(toSegment);
}

/**
 * Archives a segment: its members, refreshes and history are kept, but it is no longer listed by
 * default, refreshed or scheduled. Archiving an archived segment changes nothing.
 */
export async function archiveSegment(trx: TenantTransaction, id: number): Promise<Segment> {
  await trx.updateTable('segments').set({ archived_at: new Date() }).where('id', '=', id).where('archived_at', 'is', null).execute();
  const segment = await findSegment(trx, id);
  if (!segment) throw notFound(`segment ${id}`);
  return segment;
}

/** Current member ids, ascending. */
export async function segmentMemberIds(trx: TenantTransaction, segmentId: number): Promise<number[]> {
  const rows = await trx.selectFrom('segment_members').select('person_id').where('segment_id', '=', segmentId).orderBy('person_id').execute();
  return rows.map((row) => Number(row.person_id));
}

/** Makes the gated persons the segment's members, recording what changed under a new refresh id. */
async function applyMembership(trx: TenantTransaction, segmentId: number, members: ConsentedPersons, trigger: string, now: Date): Promise<Refresh> {
  ConsentedPersons.check(members, PROFILING_PURPOSE);
  const ids = members.ids();
  const next = new Set(ids);
  const current = await segmentMemberIds(trx, segmentId);
  const currentSet = new Set(current);
  const added = ids.filter((id) => !currentSet.has(id));
  const removed = current.filter((id) => !next.has(id));
  return recordRefresh(trx, segmentId, { added, removed }, next.size, trigger, now);
}

/** Writes one refresh: its adds and removes as changes (for activation to send), the members, and the segment's count. */
async function recordRefresh(
  trx: TenantTransaction,
  segmentId: number,
  { added, removed }: { added: readonly number[]; removed: readonly number[] },
  memberCount: number,
  trigger: string,
  now: Date,
): Promise<Refresh> {
  const refresh = await trx
    .insertInto('segment_refreshes')
    .values({ tenant_id: trx.tenantId, segment_id: segmentId, trigger, added: added.length, removed: removed.length, member_count: memberCount })
    .returning('id')
    .executeTakeFirstOrThrow();
  const refreshId = Number(refresh.id);
  for (const [change, changed] of [['add', added], ['remove', removed]] as const) {
    if (changed.length === 0) continue;
    await sql`insert into segment_membership_changes (tenant_id, refresh_id, segment_id, person_id, change)
      select ${trx.tenantId}::uuid, ${refreshId}, ${segmentId}, person_id, ${change} from unnest(${idArray(changed)}::bigint[]) as person_id`.execute(trx);
  }
  if (removed.length > 0) await sql`delete from segment_members where tenant_id = ${trx.tenantId}::uuid and segment_id = ${segmentId} and person_id = any(${idArray(removed)}::bigint[])`.execute(trx);
  if (added.length > 0) {
    await sql`insert into segment_members (tenant_id, segment_id, person_id) select ${trx.tenantId}::uuid, ${segmentId}, person_id from unnest(${idArray(added)}::bigint[]) as person_id`.execute(trx);
  }
  await trx.updateTable('segments').set({ member_count: memberCount, last_refresh_id: refreshId, last_refreshed_at: now }).where('id', '=', segmentId).execute();
  return { refreshId, added: added.length, removed: removed.length, memberCount };
}

/**
 * Takes the persons out of every segment that holds them (erasure), one refresh per segment, so
 * activation sends the removal like any other. Returns how many memberships went.
 */
export async function removeFromSegments(trx: TenantTransaction, personIds: readonly number[], trigger: string, now = new Date()): Promise<number> {
  // `segment in (segments)` lets the primary key (segment, person) be probed instead of every membership scanned.
  const holding = await trx
    .selectFrom('segment_members')
    .select('segment_id')
    .distinct()
    .where('segment_id', 'in', (eb) => eb.selectFrom('segments').select('id'))
    .where('person_id', '=', anyOf(personIds, 'bigint'))
    .orderBy('segment_id')
    .execute();
  let removed = 0;
  for (const segmentId of holding.map((row) => Number(row.segment_id))) {
    // Locked as a refresh locks it, then read again: a refresh that committed meanwhile is counted right.
    const segment = (await findSegment(trx, segmentId, { forUpdate: true }))!;
    const members = await trx.selectFrom('segment_members').select('person_id').where('segment_id', '=', segmentId).where('person_id', '=', anyOf(personIds, 'bigint')).execute();
    if (members.length === 0) continue;
    await recordRefresh(trx, segmentId, { added: [], removed: members.map((m) => Number(m.person_id)) }, segment.memberCount - members.length, trigger, now);
    removed += members.length;
  }
  return removed;
}

/** Persons an uploaded list names (identifier-persons.ts), with counts of what matched. */
async function matchIdentifiers(trx: TenantTransaction, keys: IdentifierKeys, inputs: readonly IdentifierInput[]): Promise<{ personIds: number[]; report: ImportReport }> {
  const invalid: Record<string, number> = {};
  const personIds = new Set<number>();
  let matched = 0;
  for (const found of await personsOfIdentifiers(trx, keys, inputs)) {
    if ('invalid' in found) invalid[found.invalid] = (invalid[found.invalid] ?? 0) + 1;
    if (!('personId' in found)) continue;
    matched += 1;
    personIds.add(found.personId);
  }
  return { personIds: [...personIds].sort((a, b) => a - b), report: { identifiers: inputs.length, matched, unmatched: inputs.length - matched, invalid } };
}

export async function createSegment(trx: TenantTransaction, gate: ConsentGate, input: SegmentInput, actor: string, context: SegmentContext = {}): Promise<{ segment: Segment; refresh: Refresh }> {
  const limits = context.limits ?? defaultSegmentLimits;
  const now = context.now ?? new Date();
  const work = { activity: 'segments.create', actor, details: { name: input.name, kind: input.kind } };
  let rule: SegmentRule | null = null;
  let members: ConsentedPersons;
  let importReport: ImportReport | null = null;
  if (input.kind === 'imported') {
    if (!context.identifierKeys) throw new Error('importing a segment needs the identifier keys');
    const matched = await matchIdentifiers(trx, context.identifierKeys, input.identifiers);
    if (matched.personIds.length > limits.maxMembers) throw new SegmentError('ACCORD_ERR_SEGMENT_TOO_LARGE', `the list names more than ${limits.maxMembers} persons`, { maxMembers: limits.maxMembers });
    members = await profilingConsent(trx, gate, matched.personIds, { ...work, at: now });
    importReport = matched.report;
  } else {
    rule = parseSegmentRule(input.rule);
    if (input.kind === 'static' && input.scheduleSeconds) throw new SegmentError('ACCORD_ERR_SEGMENT_KIND', 'only a dynamic segment has a schedule');
    members = await segmentRuleMembers(trx, gate, rule, work, limits, now);
  }
  const row = await trx
    .insertInto('segments')
    .values({
      tenant_id: trx.tenantId,
      name: input.name,
      kind: input.kind,
      rule: rule && JSON.stringify(rule),
      schedule_seconds: input.kind === 'dynamic' ? (input.scheduleSeconds ?? null) : null,
      import_report: importReport && JSON.stringify(importReport),
      created_by: actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const refresh = await applyMembership(trx, Number(row.id), members, 'create', now);
  return { segment: (await findSegment(trx, Number(row.id)))!, refresh };
}

/** Re-evaluates a dynamic segment's rule and records the adds and removes. */
export async function refreshSegment(trx: TenantTransaction, gate: ConsentGate, id: number, trigger: string, context: SegmentContext = {}): Promise<Refresh> {
  const segment = await findSegment(trx, id, { forUpdate: true });
  if (!segment) throw notFound(`segment ${id}`);
  if (segment.kind !== 'dynamic') throw new SegmentError('ACCORD_ERR_SEGMENT_KIND', `segment ${id} is ${segment.kind}: only a dynamic segment is refreshed`);
  if (segment.archivedAt) throw new AccordError('ACCORD_ERR_CONFLICT', `segment ${id} is archived: its members and history are kept, it is no longer refreshed`);
  const now = context.now ?? new Date();
  const members = await segmentRuleMembers(trx, gate, segment.rule!, { activity: 'segments.refresh', actor: trigger, details: { segmentId: id } }, context.limits ?? defaultSegmentLimits, now);
  return applyMembership(trx, id, members, trigger, now);
}

/** What one refresh changed, for activation to send the difference. */
export async function membershipChanges(trx: TenantTransaction, refreshId: number): Promise<{ added: number[]; removed: number[] }> {
  const rows = await trx.selectFrom('segment_membership_changes').select(['person_id', 'change']).where('refresh_id', '=', refreshId).orderBy('person_id').execute();
  return { added: rows.filter((r) => r.change === 'add').map((r) => Number(r.person_id)), removed: rows.filter((r) => r.change === 'remove').map((r) => Number(r.person_id)) };
}
