/**
 * What `accord psi join` tells its party about a run, by the collaboration's effective terms: the
 * CLI has no guard database, so it applies the terms' rules itself, as a node's guard would on its
 * own side (core/guard/release-rules.ts): nothing below the minimum overlap, counts by identifier
 * type pooled below the minimum cell size, noise when the terms ask for it. The privacy budget
 * across runs is the brand node's to keep; it admits every run it serves.
 */
import type { EffectiveTerms } from '../core/collaborations/approval-constraints.ts';
import { epsilonMicros, parseGuardPolicy } from '../core/guard/guard-policy.ts';
import { releasableCounts, type ReleasedCounts } from '../core/guard/release-rules.ts';

export type PartyRelease = ({ readonly released: true } & ReleasedCounts) | { readonly released: false; readonly minOverlap: number };

export function releaseToParty(terms: EffectiveTerms, byIdType: Readonly<Record<string, number>>, total: number): PartyRelease {
  if (total < terms.minOverlap) return { released: false, minOverlap: terms.minOverlap };
  const policy = parseGuardPolicy({ minOverlap: terms.minOverlap, minCellSize: terms.minCellSize });
  const spend = terms.noise ? epsilonMicros(terms.noise.epsilonPerRun) : null;
  return { released: true, ...releasableCounts({ total, byIdType }, policy, spend) };
}
