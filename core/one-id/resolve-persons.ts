/**
 * One-ID: the person of each record, where identifiers seen together in one record (a member row
 * with email, phone and openid) are one person. Unseen identifiers get a person; a record that
 * joins identifiers of several persons merges them into the oldest, unless a rule holds it
 * (identity-rules.ts), in which case the held identifiers stay where they are, the merge is
 * recorded as blocked with its reason, and the record goes to the person its joining
 * identifiers (or its strongest one) point to. A record touching an erased person is refused.
 *
 * The graph is stored flat (identifier → person root, absorbed person → survivor), not as a
 * union-find with parent chains: every read is one indexed lookup with no recursion, and a merge
 * rewrites the absorbed person's links, which the fan-out rules keep small. A whole batch is
 * read, decided in memory and written with a fixed number of statements (plus one consent merge
 * per merge of existing persons), whatever the number of identifiers.
 */
import { AccordError } from '../errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { applyResolutionPlan } from './apply-resolution-plan.ts';
import { checkIdentifier, type Identifier } from './identifier.ts';
import { checkIdentityRules, defaultIdentityRules, type IdentityRules } from './identity-rules.ts';
import { loadIdentitySnapshot } from './load-identity-snapshot.ts';
import { lockIdentityGraph } from './lock-identity-graph.ts';
import { planResolution } from './plan-resolution.ts';

export const MAX_RECORDS_PER_BATCH = 100_000;
export const MAX_IDENTIFIERS_PER_RECORD = 50;

export interface IdentityRecord {
  readonly identifiers: readonly Identifier[];
}

export interface ResolveOptions {
  readonly rules?: IdentityRules;
  /** When the merges happen, for the consent ledger; now by default. */
  readonly at?: Date;
  /**
   * Identifiers whose rows this same transaction inserted (identifier-store.ts `created`): the
   * graph cannot know them yet, so it is not read for them, which makes a fresh import's batch
   * cheap. Were one linked after all, inserting its link would fail on the key, not merge wrongly.
   */
  readonly newIdentifierIds?: ReadonlySet<number>;
}

export interface ResolvedPersons {
  /** Per record, in order: its person, or null when refused. */
  readonly personIds: ReadonlyArray<number | null>;
  /** Records refused because one of their identifiers belongs to an erased person. */
  readonly refused: ReadonlyArray<{ readonly record: number; readonly reason: 'suppressed' }>;
  readonly created: number;
  readonly merged: number;
  readonly blocked: number;
}

export async function resolvePersons(trx: TenantTransaction, records: readonly IdentityRecord[], options: ResolveOptions = {}): Promise<ResolvedPersons> {
  const rules = options.rules ?? defaultIdentityRules;
  checkIdentityRules(rules);
  const identifiers = distinctIdentifiers(records);
  if (records.length === 0) return { personIds: [], refused: [], created: 0, merged: 0, blocked: 0 };

  await lockIdentityGraph(trx);
  const fresh = options.newIdentifierIds;
  const known = fresh ? identifiers.filter((identifier) => !fresh.has(identifier.id)) : identifiers;
  const { snapshot, storedTypes } = await loadIdentitySnapshot(trx, known, rules);
  for (const identifier of identifiers) {
    const stored = storedTypes.get(identifier.id);
    if (stored !== undefined && stored !== identifier.type) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `identifier ${identifier.id} is a ${stored}, not a ${identifier.type}`);
  }
  const plan = planResolution(
    snapshot,
    records.map((record) => record.identifiers),
    rules,
  );
  const applied = await applyResolutionPlan(trx, plan, options.at ?? new Date());
  return {
    ...applied,
    refused: applied.personIds.flatMap((person, record) => (person === null ? [{ record, reason: 'suppressed' as const }] : [])),
  };
}

/** Checks the batch and returns each identifier once; an id must keep one type throughout. */
function distinctIdentifiers(records: readonly IdentityRecord[]): Identifier[] {
  if (records.length > MAX_RECORDS_PER_BATCH) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `at most ${MAX_RECORDS_PER_BATCH} records per batch`);
  const byId = new Map<number, Identifier>();
  records.forEach((record, index) => {
    const where = `record ${index}`;
    if (!Array.isArray(record.identifiers) || record.identifiers.length === 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${where} has no identifiers`);
    if (record.identifiers.length > MAX_IDENTIFIERS_PER_RECORD) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${where} has more than ${MAX_IDENTIFIERS_PER_RECORD} identifiers`);
    for (const identifier of record.identifiers) {
      checkIdentifier(identifier, where);
      const seen = byId.get(identifier.id);
      if (seen === undefined) byId.set(identifier.id, identifier);
      else if (seen.type !== identifier.type || seen.scope !== identifier.scope) {
        throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${where}: identifier ${identifier.id} appears with two types or scopes in one batch`);
      }
    }
  });
  return [...byId.values()];
}
