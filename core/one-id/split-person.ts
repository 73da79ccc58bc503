/**
 * Undoing a wrong merge: identifiers leave their person for a new one. Either the identifiers a
 * merge moved (from its event, restoring the grouping before it) or an explicit list. The split is
 * an event naming who did it and why, and the two persons are recorded as separate, so the records
 * that merged them once do not merge them again (they show up as blocked merges instead).
 *
 * Consent never loosens on a split: the new person starts with every denial of the person it
 * leaves and with no grant. Decisions recorded on the merged person cannot be attributed to one
 * side (a withdrawal made after the merge may have come from either human), and a grant the split-
 * off identifiers carried before the merge is no longer proof of consent once we know the identity
 * was confused; the person is asked again rather than assumed.
 *
 * Profile data stays with the person split from. Orders, behaviour events, attributes and tag
 * values are stored per person without the identifier they arrived through, and a merge moved the
 * absorbed person's rows onto the survivor without keeping where they came from, so nothing says
 * which of them belong to the leaving identifiers. Guessing would put one human's orders on
 * another; copying would count the same order twice. So the rows stay, the split event records
 * that they stayed and how many there were (details.profiles), and the new person's profile fills
 * from the data that arrives through its identifiers from now on (computed tags at their next run).
 */
import { sql } from 'kysely';
import { mergeConsentSubjects } from '../consent/merge-consent-subjects.ts';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError, notFound } from '../errors.ts';
import { assertNotSuppressed } from '../privacy/suppression.ts';
import { createPersons } from './create-persons.ts';
import { appendIdentityEvents, identityEvent } from './identity-events.ts';
import { lockIdentityGraph } from './lock-identity-graph.ts';
import { consentSubjectOf } from './person-subject.ts';

export interface SplitRequest {
  /** The identifiers that leave, or the merge whose moved identifiers leave. */
  readonly leaving: { readonly identifierIds: readonly number[] } | { readonly mergeEventId: number };
  readonly actor: string;
  readonly reason: string;
  readonly at?: Date;
}

export interface SplitOutcome {
  readonly personId: number;
  readonly newPersonId: number;
  readonly identifierIds: readonly number[];
  readonly eventId: number;
}

export async function splitPerson(trx: TenantTransaction, request: SplitRequest): Promise<SplitOutcome> {
  for (const [name, value] of [['actor', request.actor], ['reason', request.reason]] as const) {
    if (typeof value !== 'string' || value.trim() === '' || value.length > 500) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `a split needs a ${name} (1-500 characters)`);
  }
  await lockIdentityGraph(trx);
  const ids = [...new Set(await leavingIdentifiers(trx, request.leaving))];
  if (ids.length === 0 || !ids.every((id) => Number.isSafeInteger(id) && id > 0)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'a split needs identifier ids to move');

  const links = await trx.selectFrom('identity_links').select(['identifier_id', 'person_id']).where('identifier_id', '=', anyOf(ids, 'bigint')).execute();
  const unknown = ids.find((id) => !links.some((link) => Number(link.identifier_id) === id));
  if (unknown !== undefined) throw notFound(`identifier ${unknown} in the identity graph`);
  const persons = [...new Set(links.map((link) => Number(link.person_id)))];
  if (persons.length > 1) throw new AccordError('ACCORD_ERR_CONFLICT', `these identifiers now belong to persons ${persons.join(', ')}; split one person at a time`);
  const personId = persons[0]!;
  await assertNotSuppressed(trx, consentSubjectOf(personId));
  const staying = await trx
    .selectFrom('identity_links')
    .select('identifier_id')
    .where('person_id', '=', personId)
    .where('identifier_id', '!=', sql<number>`all(${ids}::bigint[])`)
    .limit(1)
    .executeTakeFirst();
  if (!staying) throw new AccordError('ACCORD_ERR_CONFLICT', `a split must leave person ${personId} at least one identifier`);

  const profiles = await profileRowsOf(trx, personId);
  const [newPersonId] = (await createPersons(trx, 1)) as [number];
  await trx.updateTable('identity_links').set({ person_id: newPersonId }).where('identifier_id', '=', anyOf(ids, 'bigint')).execute();
  const [event] = await appendIdentityEvents(trx, [
    {
      kind: 'split',
      personId,
      otherPersonId: newPersonId,
      identifierIds: ids,
      reason: request.reason,
      actor: request.actor,
      details: { ...('mergeEventId' in request.leaving ? { mergeEventId: request.leaving.mergeEventId } : {}), profiles },
      dedupeKey: null,
    },
  ]);
  const eventId = event!.id;
  await trx.insertInto('identity_separations').values({ tenant_id: trx.tenantId, person_id: personId, other_person_id: newPersonId, split_event_id: eventId }).execute();
  await mergeConsentSubjects(trx, { mergeId: `person-split/${eventId}`, survivor: consentSubjectOf(newPersonId), absorbed: consentSubjectOf(personId), at: request.at ?? new Date() });
  return { personId, newPersonId, identifierIds: ids, eventId };
}

/** What stays with the person split from: the rule and how many rows of each kind it kept. */
async function profileRowsOf(trx: TenantTransaction, personId: number): Promise<{ rule: 'kept_on_person'; orders: number; events: number; attributes: number; tagValues: number }> {
  const { rows } = await sql<{ orders: number; events: number; attributes: number; tag_values: number }>`
    select (select count(*) from orders where tenant_id = ${trx.tenantId}::uuid and person_id = ${personId})::int as orders,
           (select count(*) from behaviour_events where tenant_id = ${trx.tenantId}::uuid and person_id = ${personId})::int as events,
           (select count(*) from person_attributes where tenant_id = ${trx.tenantId}::uuid and person_id = ${personId})::int as attributes,
           (select count(*) from tag_values where tenant_id = ${trx.tenantId}::uuid and person_id = ${personId})::int as tag_values`.execute(trx);
  const counts = rows[0]!;
  return { rule: 'kept_on_person', orders: Number(counts.orders), events: Number(counts.events), attributes: Number(counts.attributes), tagValues: Number(counts.tag_values) };
}

async function leavingIdentifiers(trx: TenantTransaction, leaving: SplitRequest['leaving']): Promise<readonly number[]> {
  if ('identifierIds' in leaving) return leaving.identifierIds;
  const event = Number.isSafeInteger(leaving.mergeEventId) ? await identityEvent(trx, leaving.mergeEventId) : undefined;
  if (event?.kind !== 'merge') throw notFound(`identity merge event ${leaving.mergeEventId}`);
  return event.identifierIds;
}
