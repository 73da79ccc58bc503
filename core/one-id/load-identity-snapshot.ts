/**
 * Reads the part of the identity graph a batch touches, in a fixed number of statements: the
 * links of its identifiers, their never-merge marks, the fan-out sightings of its shared
 * identifiers, the split separations, and which of the persons involved were erased.
 */
import { sql } from 'kysely';
import { subjectTombstone } from '../../consent/suppression-hash.ts';
import { anyOf } from '../db/sql-any.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { suppressedAmong } from '../privacy/suppression.ts';
import type { Identifier } from './identifier.ts';
import { roleOf, type IdentityRules } from './identity-rules.ts';
import { consentSubjectOf } from './person-subject.ts';
import type { IdentitySnapshot } from './plan-resolution.ts';

export interface LoadedSnapshot {
  readonly snapshot: IdentitySnapshot;
  /** The type each already linked identifier was first seen with. */
  readonly storedTypes: ReadonlyMap<number, string>;
}

export async function loadIdentitySnapshot(trx: TenantTransaction, identifiers: readonly Identifier[], rules: IdentityRules): Promise<LoadedSnapshot> {
  const ids = identifiers.map((identifier) => identifier.id);
  const sharedIds = identifiers.filter((identifier) => roleOf(rules, identifier.type) === 'shared').map((identifier) => identifier.id);

  const links = ids.length === 0 ? [] : await trx.selectFrom('identity_links').select(['identifier_id', 'identifier_type', 'person_id']).where('identifier_id', '=', anyOf(ids, 'bigint')).execute();
  const marks = ids.length === 0 ? [] : await trx.selectFrom('identity_no_merge').select(['identifier_id', 'reason']).where('identifier_id', '=', anyOf(ids, 'bigint')).execute();
  const sightings =
    sharedIds.length === 0 ? [] : await trx.selectFrom('identity_cooccurrence').select(['shared_id', 'primary_id']).where('shared_id', '=', anyOf(sharedIds, 'bigint')).execute();
  const separations = await sql<{ a: number; b: number }>`
    select coalesce(a.merged_into, a.id) as a, coalesce(b.merged_into, b.id) as b
      from identity_separations s
      join persons a on a.tenant_id = s.tenant_id and a.id = s.person_id
      join persons b on b.tenant_id = s.tenant_id and b.id = s.other_person_id`.execute(trx);

  const personOf = new Map(links.map((link) => [Number(link.identifier_id), Number(link.person_id)]));
  const seenWith = new Map<number, Set<number>>();
  for (const row of sightings) {
    const seen = seenWith.get(Number(row.shared_id)) ?? new Set<number>();
    seenWith.set(Number(row.shared_id), seen.add(Number(row.primary_id)));
  }
  return {
    snapshot: {
      personOf,
      noMerge: new Map(marks.map((mark) => [Number(mark.identifier_id), mark.reason])),
      seenWith,
      separations: separations.rows.map((row) => [Number(row.a), Number(row.b)] as const),
      suppressed: await erasedPersons(trx, [...new Set(personOf.values())]),
    },
    storedTypes: new Map(links.map((link) => [Number(link.identifier_id), link.identifier_type])),
  };
}

/** Persons whose subject, or the subject of a person they absorbed, carries a suppression tombstone. */
async function erasedPersons(trx: TenantTransaction, roots: readonly number[]): Promise<Set<number>> {
  if (roots.length === 0) return new Set();
  const absorbed = await trx.selectFrom('persons').select(['id', 'merged_into']).where('merged_into', '=', anyOf(roots, 'bigint')).execute();
  const rootOf = new Map<string, number>();
  for (const root of roots) rootOf.set(hex(subjectTombstone(trx.tenantId, consentSubjectOf(root))), root);
  for (const person of absorbed) rootOf.set(hex(subjectTombstone(trx.tenantId, consentSubjectOf(Number(person.id)))), Number(person.merged_into));
  const hits = await suppressedAmong(trx, [...rootOf.keys()].map((key) => Buffer.from(key, 'hex')));
  return new Set([...hits].map((hit) => rootOf.get(hit)!));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
