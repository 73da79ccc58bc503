/**
 * Marks one identifier as never joining persons again, for values known to be unsafe: a phone
 * number the carrier re-issued to someone else, a shop's shared tablet. It stays with the person
 * it is linked to; records that pair it with another person's identifiers become blocked merges.
 * Past merges through it are not undone here: split them (split-person.ts).
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import { appendIdentityEvents } from './identity-events.ts';
import { lockIdentityGraph } from './lock-identity-graph.ts';

export interface NeverMergeMark {
  readonly identifierId: number;
  readonly note: string;
  readonly actor: string;
}

/** Returns whether the mark is new (an identifier already held by a mark or a fan-out flag stays as it is). */
export async function markNeverMerge(trx: TenantTransaction, mark: NeverMergeMark): Promise<boolean> {
  if (!Number.isSafeInteger(mark.identifierId) || mark.identifierId <= 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'identifier id must be a positive integer');
  if (mark.note.trim() === '' || mark.note.length > 500 || mark.actor.trim() === '') throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'a never-merge mark needs an actor and a note (1-500 characters)');
  await lockIdentityGraph(trx);
  const inserted = await trx
    .insertInto('identity_no_merge')
    .values({ tenant_id: trx.tenantId, identifier_id: mark.identifierId, reason: 'marked', note: mark.note, marked_by: mark.actor })
    .onConflict((oc) => oc.columns(['tenant_id', 'identifier_id']).doNothing())
    .returning('identifier_id')
    .executeTakeFirst();
  if (!inserted) return false;
  await appendIdentityEvents(trx, [
    { kind: 'marked', personId: null, otherPersonId: null, identifierIds: [mark.identifierId], reason: 'marked', actor: mark.actor, details: { note: mark.note }, dedupeKey: `marked/${mark.identifierId}` },
  ]);
  return true;
}
