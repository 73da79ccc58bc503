/**
 * Where a collaboration stands at an instant, derived from its append-only rows: revoked as soon as
 * any party revoked it, expired from the earliest expiry any party set, approved once every party
 * signed, proposed before that.
 */
import type { EffectiveTerms } from './approval-constraints.ts';
import type { CollaborationTerms } from './collaboration-terms.ts';

export type CollaborationStatus = 'proposed' | 'approved' | 'revoked' | 'expired';

export interface StatusInputs {
  readonly terms: CollaborationTerms;
  readonly effective: EffectiveTerms;
  readonly approvals: readonly { nodeId: string }[];
  readonly revocations: readonly unknown[];
}

export function statusAt(collaboration: StatusInputs, at: Date): CollaborationStatus {
  if (collaboration.revocations.length > 0) return 'revoked';
  if (at.getTime() >= Date.parse(collaboration.effective.expiresAt)) return 'expired';
  const approved = new Set(collaboration.approvals.map((approval) => approval.nodeId));
  return collaboration.terms.parties.every((party) => approved.has(party.nodeId)) ? 'approved' : 'proposed';
}
