/**
 * What an access export (PIPL Art. 45, GDPR Art. 15, CCPA §1798.110) contains, one section per
 * kind of record held about the subject. Each section yields pages, read in their own short tenant
 * transactions by keyset, so a subject with a long history never sits in memory at once.
 * A module that stores more about people adds its section to `subjectExportSections`.
 */
import { sql } from 'kysely';
import { subjectConsentState } from '../consent/subject-consent-state.ts';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { personIdOf, personWithAbsorbed } from './erase-person-data.ts';
import type { SubjectVault } from './subject-vault.ts';

export type InTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>;

export interface ExportSection {
  readonly name: string;
  pages(inTenant: InTenant, subject: string): AsyncIterable<readonly unknown[]>;
}

export const EXPORT_PAGE = 1_000;

/** Pages by an increasing cursor until a short page. */
async function* keyset<Row, Cursor>(
  inTenant: InTenant,
  read: (trx: TenantTransaction, after: Cursor | undefined) => Promise<Row[]>,
  cursorOf: (row: Row) => Cursor,
  shape: (row: Row) => unknown,
): AsyncGenerator<readonly unknown[]> {
  let after: Cursor | undefined;
  for (;;) {
    const rows = await inTenant((trx) => read(trx, after));
    if (rows.length > 0) yield rows.map(shape);
    if (rows.length < EXPORT_PAGE) return;
    after = cursorOf(rows.at(-1)!);
  }
}

const single = (name: string, read: (trx: TenantTransaction, subject: string) => Promise<readonly unknown[]>): ExportSection => ({
  name,
  async *pages(inTenant, subject) {
    const items = await inTenant((trx) => read(trx, subject));
    if (items.length > 0) yield items;
  },
});

const consentEvents: ExportSection = {
  name: 'consentEvents',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      (trx, after: number | undefined) =>
        trx
          .selectFrom('consent_events')
          .select(['seq', 'purpose', 'recipient', 'regime', 'kind', 'notice_id', 'channel', 'source', 'evidence', 'collected_at', 'received_at'])
          .where('subject', '=', subject)
          .where('seq', '>', after ?? 0)
          .orderBy('seq')
          .limit(EXPORT_PAGE)
          .execute(),
      (row) => row.seq,
      (row) => ({
        seq: row.seq,
        purpose: row.purpose,
        recipient: row.recipient,
        regime: row.regime,
        kind: row.kind,
        noticeId: row.notice_id,
        channel: row.channel,
        source: row.source,
        evidence: row.evidence,
        collectedAt: row.collected_at,
        receivedAt: row.received_at,
      }),
    ),
};

const consentState = single('consentState', subjectConsentState);

/** "Where was my data sent": recipients the subject consented to (still granted) ... */
const consentedRecipients = single('consentedRecipients', async (trx, subject) => {
  const rows = await trx
    .selectFrom('consent_state')
    .select(['recipient', 'purpose', 'regime', 'decided_at'])
    .where('subject', '=', subject)
    .where('granted', '=', true)
    .where('recipient', '!=', '')
    .orderBy('recipient')
    .orderBy('purpose')
    .execute();
  return rows.map((row) => ({ recipient: row.recipient, purpose: row.purpose, regime: row.regime, since: row.decided_at }));
});

/** ... and every send the disclosure log recorded. */
const disclosures: ExportSection = {
  name: 'disclosures',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      (trx, after: number | undefined) =>
        trx.selectFrom('subject_disclosures').select(['id', 'recipient', 'purpose', 'reference', 'disclosed_at']).where('subject', '=', subject).where('id', '>', after ?? 0).orderBy('id').limit(EXPORT_PAGE).execute(),
      (row) => row.id,
      (row) => ({ recipient: row.recipient, purpose: row.purpose, reference: row.reference, disclosedAt: row.disclosed_at }),
    ),
};

const preferences = single('preferences', async (trx, subject) => {
  const row = await trx.selectFrom('consent_preferences').select(['state', 'updated_by_seq', 'updated_at']).where('subject', '=', subject).executeTakeFirst();
  return row ? [{ state: row.state, updatedBySeq: row.updated_by_seq, updatedAt: row.updated_at }] : [];
});

const preferenceChanges: ExportSection = {
  name: 'preferenceChanges',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      (trx, after: number | undefined) =>
        trx
          .selectFrom('consent_preference_changes')
          .select(['seq', 'mode', 'patch', 'channel', 'source', 'collected_at', 'received_at'])
          .where('subject', '=', subject)
          .where('seq', '>', after ?? 0)
          .orderBy('seq')
          .limit(EXPORT_PAGE)
          .execute(),
      (row) => row.seq,
      (row) => ({ seq: row.seq, mode: row.mode, patch: row.patch, channel: row.channel, source: row.source, collectedAt: row.collected_at, receivedAt: row.received_at }),
    ),
};

const contactLog: ExportSection = {
  name: 'contacts',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      (trx, after: { sentAt: Date; id: string } | undefined) => {
        let query = trx.selectFrom('consent_contact_log').select(['client_send_id', 'channel', 'topic', 'sent_at']).where('subject', '=', subject);
        if (after) query = query.where(sql<boolean>`(sent_at, client_send_id) > (${after.sentAt}, ${after.id})`);
        return query.orderBy('sent_at').orderBy('client_send_id').limit(EXPORT_PAGE).execute();
      },
      (row) => ({ sentAt: row.sent_at, id: row.client_send_id }),
      (row) => ({ channel: row.channel, topic: row.topic, sentAt: row.sent_at }),
    ),
};

const namesSubject = (subject: string) => sql<boolean>`details @> ${JSON.stringify({ subject })}::jsonb`;

/** Runs recorded for this subject by name (batch runs over many people are in the processing register, not here). */
const processingRecords: ExportSection = {
  name: 'processingRecords',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      (trx, after: { finishedAt: Date; id: string } | undefined) => {
        let query = trx.selectFrom('processing_records').select(['id', 'activity', 'purpose', 'collaboration_id', 'started_at', 'finished_at']).where(namesSubject(subject));
        if (after) query = query.where(sql<boolean>`(finished_at, id) > (${after.finishedAt}, ${after.id}::uuid)`);
        return query.orderBy('finished_at').orderBy('id').limit(EXPORT_PAGE).execute();
      },
      (row) => ({ finishedAt: row.finished_at, id: row.id }),
      (row) => ({ activity: row.activity, purpose: row.purpose, collaborationId: row.collaboration_id, startedAt: row.started_at, finishedAt: row.finished_at }),
    ),
};

const auditEvents: ExportSection = {
  name: 'auditEvents',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      (trx, after: number | undefined) =>
        trx
          .selectFrom('audit_events')
          .select(['id', 'actor', 'action', 'target_type', 'occurred_at'])
          .where((eb) => eb.or([eb.and([eb('target_type', '=', 'subject'), eb('target_id', '=', subject)]), namesSubject(subject)]))
          .where('id', '>', after ?? 0)
          .orderBy('id')
          .limit(EXPORT_PAGE)
          .execute(),
      (row) => row.id,
      (row) => ({ action: row.action, actor: row.actor, targetType: row.target_type, occurredAt: row.occurred_at }),
    ),
};

const privacyRequests = single('privacyRequests', async (trx, subject) => {
  const rows = await trx.selectFrom('privacy_requests').select(['id', 'kind', 'regime', 'status', 'received_at', 'due_at', 'closed_at']).where('subject', '=', subject).orderBy('received_at').execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind, regime: row.regime, status: row.status, receivedAt: row.received_at, dueAt: row.due_at, closedAt: row.closed_at }));
});

/** The persons a subject names: a resolved person with everyone merged into them; nobody for any other subject. */
async function personsOf(trx: TenantTransaction, subject: string): Promise<number[]> {
  const personId = personIdOf(subject);
  return personId === undefined ? [] : personWithAbsorbed(trx, personId);
}

/** Where the person was matched: every PSI run that stored them, under which collaboration and purpose, and the partner's values it received about them. */
const psiMatches: ExportSection = {
  name: 'psiMatches',
  pages: (inTenant, subject) =>
    keyset(
      inTenant,
      async (trx, after: { createdAt: Date; runId: string; personId: number } | undefined) => {
        const persons = await personsOf(trx, subject);
        if (persons.length === 0) return [];
        let query = trx
          .selectFrom('psi_matches as m')
          .innerJoin('psi_runs as r', (join) => join.onRef('r.tenant_id', '=', 'm.tenant_id').onRef('r.id', '=', 'm.run_id'))
          .innerJoin('collaborations as c', (join) => join.onRef('c.tenant_id', '=', 'r.tenant_id').onRef('c.id', '=', 'r.collaboration_id'))
          .leftJoin('psi_match_payloads as p', (join) => join.onRef('p.tenant_id', '=', 'm.tenant_id').onRef('p.run_id', '=', 'm.run_id').onRef('p.person_id', '=', 'm.person_id'))
          .select(['m.run_id', 'm.person_id', 'm.id_type', 'r.collaboration_id', 'r.role', 'r.created_at', 'r.finished_at', 'p.payload', sql<string>`c.terms->>'name'`.as('collaboration'), sql<string>`c.terms->>'purpose'`.as('purpose')])
          // `run in (runs)` probes the primary key (run, person) instead of scanning every match.
          .where('m.run_id', 'in', (eb) => eb.selectFrom('psi_runs').select('id'))
          .where('m.person_id', '=', anyOf(persons, 'bigint'));
        if (after) query = query.where(sql<boolean>`(r.created_at, m.run_id, m.person_id) > (${after.createdAt}, ${after.runId}::uuid, ${after.personId})`);
        return query.orderBy('r.created_at').orderBy('m.run_id').orderBy('m.person_id').limit(EXPORT_PAGE).execute();
      },
      (row) => ({ createdAt: row.created_at, runId: row.run_id, personId: Number(row.person_id) }),
      (row) => ({
        runId: row.run_id,
        collaborationId: row.collaboration_id,
        collaboration: row.collaboration,
        purpose: row.purpose,
        role: row.role,
        matchedOn: row.id_type,
        matchedAt: row.finished_at,
        payloadReceived: row.payload !== null,
        partnerTags: row.payload,
      }),
    ),
};

const segmentMemberships = single('segmentMemberships', async (trx, subject) => {
  const persons = await personsOf(trx, subject);
  if (persons.length === 0) return [];
  const rows = await trx
    .selectFrom('segments')
    .select(['id', 'name', 'kind'])
    .where('id', 'in', (eb) => eb.selectFrom('segment_members').select('segment_id').where('segment_id', 'in', eb.selectFrom('segments').select('id')).where('person_id', '=', anyOf(persons, 'bigint')))
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ segmentId: Number(row.id), name: row.name, kind: row.kind }));
});

/** Where the person was sent: every ad-platform destination a sync put them on, when, and when they were removed and why. */
const adDestinations = single('adDestinations', async (trx, subject) => {
  const persons = await personsOf(trx, subject);
  if (persons.length === 0) return [];
  const rows = await trx
    .selectFrom('activation_members as m')
    .innerJoin('activation_destinations as d', (join) => join.onRef('d.tenant_id', '=', 'm.tenant_id').onRef('d.id', '=', 'm.destination_id'))
    .innerJoin('activation_syncs as s', (join) => join.onRef('s.tenant_id', '=', 'm.tenant_id').onRef('s.id', '=', 'm.sync_id'))
    .select(['d.platform', 'd.name as destination', 'd.account_id', 's.name as sync', 's.purpose', 'm.state', 'm.added_at', 'm.removed_at', 'm.removal_reason'])
    .where('m.person_id', '=', anyOf(persons, 'bigint'))
    .orderBy('m.added_at')
    .execute();
  return rows.map((row) => ({
    platform: row.platform,
    destination: row.destination,
    account: row.account_id,
    sync: row.sync,
    purpose: row.purpose,
    sentAt: row.added_at,
    // `removing`: the removal is queued; `kept`: the platform's minimum audience size holds it back for now.
    state: row.state === 'present' ? 'on the platform' : row.state,
    removedAt: row.removed_at,
    removalReason: row.removal_reason,
  }));
});

export function subjectExportSections(vault: SubjectVault): ExportSection[] {
  const personalData = single('personalData', (trx, subject) => vault.read(trx, subject));
  return [consentEvents, consentState, consentedRecipients, disclosures, personalData, preferences, preferenceChanges, contactLog, processingRecords, auditEvents, privacyRequests, segmentMemberships, psiMatches, adDestinations];
}
