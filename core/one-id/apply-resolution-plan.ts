/**
 * Writes a resolution plan (plan-resolution.ts) in a fixed number of statements, arrays passed as
 * single parameters, plus one consent merge per merge of persons that existed before the batch.
 * Each merge hands the absorbed person's consent to the ledger, which keeps the most restrictive
 * state on the survivor, in this same transaction.
 */
import { sql } from 'kysely';
import { mergeConsentSubjects } from '../consent/merge-consent-subjects.ts';
import { repointMergedProfiles } from './repoint-merged-profiles.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { createPersons } from './create-persons.ts';
import { appendIdentityEvents, type IdentityEventInput } from './identity-events.ts';
import { consentSubjectOf } from './person-subject.ts';
import type { ResolutionPlan } from './plan-resolution.ts';

export interface AppliedResolution {
  readonly personIds: ReadonlyArray<number | null>;
  readonly created: number;
  readonly merged: number;
  /** Blocked merges newly recorded (a replayed record adds none). */
  readonly blocked: number;
}

export async function applyResolutionPlan(trx: TenantTransaction, plan: ResolutionPlan, at: Date): Promise<AppliedResolution> {
  const created = await createPersons(trx, plan.newPersons);
  const real = (person: number) => (person > 0 ? person : created[-person - 1]!);

  const moved = new Map<number, number[]>();
  if (plan.merges.length > 0) {
    const absorbed = plan.merges.map((merge) => merge.absorbed);
    const survivors = plan.merges.map((merge) => merge.survivor);
    const relinked = await sql<{ identifier_id: number; absorbed: number }>`
      update identity_links l set person_id = m.survivor
        from unnest(${absorbed}::bigint[], ${survivors}::bigint[]) as m(absorbed, survivor)
       where l.person_id = m.absorbed
      returning l.identifier_id, m.absorbed`.execute(trx);
    for (const row of relinked.rows) moved.set(Number(row.absorbed), [...(moved.get(Number(row.absorbed)) ?? []), Number(row.identifier_id)]);
    // Persons absorbed earlier follow too, so merged_into always names a root.
    await sql`
      update persons p set merged_into = m.survivor
        from unnest(${absorbed}::bigint[], ${survivors}::bigint[]) as m(absorbed, survivor)
       where p.id = m.absorbed or p.merged_into = m.absorbed`.execute(trx);
    await repointMergedProfiles(trx, plan.merges);
  }

  if (plan.newLinks.length > 0) {
    await sql`
      insert into identity_links (tenant_id, identifier_id, identifier_type, person_id)
      select ${trx.tenantId}::uuid, u.identifier_id, u.identifier_type, u.person_id
        from unnest(${plan.newLinks.map((link) => link.identifier.id)}::bigint[], ${plan.newLinks.map((link) => link.identifier.type)}::text[],
                    ${plan.newLinks.map((link) => real(link.person))}::bigint[]) as u(identifier_id, identifier_type, person_id)`.execute(trx);
  }
  if (plan.flags.length > 0) {
    await sql`
      insert into identity_no_merge (tenant_id, identifier_id, reason, note, marked_by)
      select ${trx.tenantId}::uuid, u.id, 'fan_out', 'seen with more than ' || u.fan_out_limit || ' distinct primary identifiers', 'one-id'
        from unnest(${plan.flags.map((flag) => flag.identifier.id)}::bigint[], ${plan.flags.map((flag) => flag.limit)}::int[]) as u(id, fan_out_limit)
      on conflict do nothing`.execute(trx);
  }
  if (plan.newSeenWith.length > 0) {
    await sql`
      insert into identity_cooccurrence (tenant_id, shared_id, primary_id)
      select ${trx.tenantId}::uuid, u.shared_id, u.primary_id
        from unnest(${plan.newSeenWith.map(([shared]) => shared)}::bigint[], ${plan.newSeenWith.map(([, primary]) => primary)}::bigint[]) as u(shared_id, primary_id)
      on conflict do nothing`.execute(trx);
  }

  const causeOf = (identifiers: ResolutionPlan['merges'][number]['cause']) => identifiers.map(({ id, type, scope }) => ({ id, type, ...(scope ? { scope } : {}) }));
  const events: IdentityEventInput[] = [
    ...plan.merges.map((merge) => ({
      kind: 'merge' as const,
      personId: merge.survivor,
      otherPersonId: merge.absorbed,
      identifierIds: moved.get(merge.absorbed) ?? [],
      reason: 'record',
      actor: null,
      details: { record: causeOf(merge.cause) },
      // A person is absorbed once: merged_into never changes back.
      dedupeKey: `merge/${merge.absorbed}`,
    })),
    ...plan.flags.map((flag) => ({
      kind: 'marked' as const,
      personId: null,
      otherPersonId: null,
      identifierIds: [flag.identifier.id],
      reason: 'fan_out',
      actor: 'one-id',
      details: { type: flag.identifier.type, limit: flag.limit },
      dedupeKey: `marked/${flag.identifier.id}`,
    })),
    ...plan.blocks.map((block) => ({
      kind: 'blocked' as const,
      personId: real(block.recordPerson),
      otherPersonId: real(block.stays),
      identifierIds: [block.identifier.id],
      reason: block.reason,
      actor: null,
      details: { record: causeOf(block.cause) },
      dedupeKey: `blocked/${block.reason}/${block.identifier.id}/${real(block.recordPerson)}`,
    })),
  ];
  const appended = await appendIdentityEvents(trx, events);

  for (const merge of plan.merges) {
    await mergeConsentSubjects(trx, { mergeId: `person-merge/${merge.absorbed}`, survivor: consentSubjectOf(merge.survivor), absorbed: consentSubjectOf(merge.absorbed), at });
  }
  return {
    personIds: plan.outcomes.map((person) => (person === null ? null : real(person))),
    created: created.length,
    merged: plan.merges.length,
    blocked: appended.filter((event) => event.kind === 'blocked').length,
  };
}
