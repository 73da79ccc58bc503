/**
 * The one-ID decision for a batch of records, made in memory over a snapshot of the part of the
 * graph the batch touches. No I/O here, so a batch costs the same few statements whatever its size.
 * Records are taken in order and each sees the effects of the ones before it.
 *
 * Persons carry their database ids; persons this batch would create get negative numbers (-1 the
 * first) until they are inserted. A person created and absorbed within the batch is never created,
 * so only merges of persons that already existed become merge events.
 */
import type { Identifier } from './identifier.ts';
import { fanOutLimitOf, joinsAlongside, roleOf, strength, type IdentityRules } from './identity-rules.ts';

export type NoMergeReason = 'fan_out' | 'marked';
export type BlockReason = NoMergeReason | 'merge_only_through' | 'separated';

export interface IdentitySnapshot {
  /** Identifier id → its person, always a root (the stored graph is flat). */
  readonly personOf: ReadonlyMap<number, number>;
  readonly noMerge: ReadonlyMap<number, NoMergeReason>;
  /** Shared identifier id → the primary identifiers it has been seen with. */
  readonly seenWith: ReadonlyMap<number, ReadonlySet<number>>;
  /** Pairs of persons (roots) a split declared distinct. */
  readonly separations: ReadonlyArray<readonly [number, number]>;
  /** Persons (roots) whose consent subject, or an absorbed person's, was erased. */
  readonly suppressed: ReadonlySet<number>;
}

export interface PlannedMerge {
  readonly survivor: number;
  readonly absorbed: number;
  readonly cause: readonly Identifier[];
}

/** An identifier that stays with its person although a record put it with another. */
export interface PlannedBlock {
  readonly identifier: Identifier;
  readonly reason: BlockReason;
  readonly stays: number;
  readonly recordPerson: number;
  readonly cause: readonly Identifier[];
}

export interface PlannedFlag {
  readonly identifier: Identifier;
  readonly limit: number;
}

export interface ResolutionPlan {
  /** Per record: its person, or null when refused because it would bring back an erased person. */
  readonly outcomes: ReadonlyArray<number | null>;
  /** Persons to create; person -n is the n-th of them. */
  readonly newPersons: number;
  readonly newLinks: ReadonlyArray<{ readonly identifier: Identifier; readonly person: number }>;
  readonly merges: readonly PlannedMerge[];
  readonly blocks: readonly PlannedBlock[];
  readonly flags: readonly PlannedFlag[];
  /** New (shared id, primary id) sightings for fan-out limits. */
  readonly newSeenWith: ReadonlyArray<readonly [number, number]>;
}

/** The older of two persons survives a merge: stored ones (positive) before new ones, -1 before -2. */
function older(a: number, b: number): number {
  return a > 0 && b > 0 ? Math.min(a, b) : Math.max(a, b);
}

export function planResolution(snapshot: IdentitySnapshot, records: ReadonlyArray<readonly Identifier[]>, rules: IdentityRules): ResolutionPlan {
  const parent = new Map<number, number>();
  const find = (person: number): number => {
    let root = person;
    for (let up = parent.get(root); up !== undefined; up = parent.get(root)) root = up;
    for (let at = person; at !== root; ) {
      const next = parent.get(at)!;
      parent.set(at, root);
      at = next;
    }
    return root;
  };
  let created = 0;
  const personOf = new Map(snapshot.personOf);
  const noMerge = new Map(snapshot.noMerge);
  const seenWith = new Map<number, Set<number>>();
  const outcomes: Array<number | null> = [];
  const linked = new Map<number, Identifier>();
  const merges: PlannedMerge[] = [];
  const blocks: PlannedBlock[] = [];
  const flags: PlannedFlag[] = [];
  const newSeenWith: Array<readonly [number, number]> = [];

  const rootOf = (identifier: Identifier): number | undefined => {
    const person = personOf.get(identifier.id);
    return person === undefined ? undefined : find(person);
  };

  // A shared identifier seen with more distinct primary identifiers than its limit stops joining.
  const countFanOut = (identifiers: readonly Identifier[]) => {
    const primaries = identifiers.filter((identifier) => roleOf(rules, identifier.type) === 'primary');
    for (const shared of identifiers) {
      const limit = fanOutLimitOf(rules, shared.type);
      if (primaries.length === 0 || limit === undefined || noMerge.has(shared.id)) continue;
      let seen = seenWith.get(shared.id);
      if (!seen) seenWith.set(shared.id, (seen = new Set(snapshot.seenWith.get(shared.id))));
      for (const primary of primaries) {
        if (seen.has(primary.id)) continue;
        if (seen.size === limit) {
          noMerge.set(shared.id, 'fan_out');
          flags.push({ identifier: shared, limit });
          break;
        }
        seen.add(primary.id);
        newSeenWith.push([shared.id, primary.id]);
      }
    }
  };

  const separated = (roots: ReadonlySet<number>) =>
    snapshot.separations.some(([a, b]) => {
      const [rootA, rootB] = [find(a), find(b)];
      return rootA !== rootB && roots.has(rootA) && roots.has(rootB);
    });

  // With nothing to join through, a record belongs to its strongest identifier's person.
  const strongestRoot = (identifiers: readonly Identifier[]): number | undefined => {
    let best: { root: number; strength: number } | undefined;
    for (const identifier of identifiers) {
      const root = rootOf(identifier);
      if (root === undefined) continue;
      const s = noMerge.has(identifier.id) ? -1 : strength(rules, identifier.type);
      if (!best || s > best.strength || (s === best.strength && older(root, best.root) === root)) best = { root, strength: s };
    }
    return best?.root;
  };

  for (const record of records) {
    const identifiers = [...new Map(record.map((identifier) => [identifier.id, identifier])).values()];
    if (identifiers.some((identifier) => snapshot.suppressed.has(rootOf(identifier) ?? 0))) {
      outcomes.push(null);
      continue;
    }
    countFanOut(identifiers);
    const types = new Set(identifiers.map((identifier) => identifier.type));
    const joins = (identifier: Identifier) => !noMerge.has(identifier.id) && joinsAlongside(rules, identifier.type, types);
    const joining = identifiers.filter(joins);
    const joinRoots = new Set(joining.map(rootOf).filter((root) => root !== undefined));

    let target: number | undefined;
    if (joining.length > 0 && !(joinRoots.size > 1 && separated(joinRoots))) {
      if (joinRoots.size === 0) target = -++created;
      else {
        target = [...joinRoots].reduce(older);
        for (const root of joinRoots) {
          if (root === target) continue;
          parent.set(root, target);
          if (root > 0) merges.push({ survivor: target, absorbed: root, cause: identifiers });
        }
      }
    }
    target ??= strongestRoot(identifiers) ?? -++created;

    for (const identifier of identifiers) {
      const root = rootOf(identifier);
      if (root === undefined) {
        personOf.set(identifier.id, target);
        linked.set(identifier.id, identifier);
      } else if (root !== target) {
        const reason = noMerge.get(identifier.id) ?? (joins(identifier) ? 'separated' : 'merge_only_through');
        blocks.push({ identifier, reason, stays: root, recordPerson: target, cause: identifiers });
      }
    }
    outcomes.push(target);
  }

  // Final persons: follow merges to their roots; number the new persons that remain roots 1..n.
  const renumbered = new Map<number, number>();
  for (let n = 1; n <= created; n++) if (find(-n) === -n) renumbered.set(-n, -(renumbered.size + 1));
  const final = (person: number) => {
    const root = find(person);
    return root > 0 ? root : renumbered.get(root)!;
  };
  return {
    outcomes: outcomes.map((person) => (person === null ? null : final(person))),
    newPersons: renumbered.size,
    newLinks: [...linked.values()].map((identifier) => ({ identifier, person: final(personOf.get(identifier.id)!) })),
    merges: merges.map((merge) => ({ ...merge, survivor: final(merge.absorbed) })),
    blocks: blocks
      .map((block) => ({ ...block, stays: final(block.stays), recordPerson: final(block.recordPerson) }))
      .filter((block) => block.stays !== block.recordPerson),
    flags,
    newSeenWith,
  };
}
