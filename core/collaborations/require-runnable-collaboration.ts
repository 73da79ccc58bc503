/**
 * The check every run makes first: no approved collaboration, no run. The PSI and scoring modules
 * call this in the transaction that starts the run.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { CollaborationError } from './collaboration-errors.ts';
import { loadCollaboration, lockCollaboration, type Collaboration } from './collaboration-store.ts';

/** What the check needs: a stored collaboration, or one a party without a node fetched (accord psi). */
export interface RunnableInputs {
  readonly id: string;
  readonly status: Collaboration['status'];
  readonly terms: Pick<Collaboration['terms'], 'parties'>;
  readonly effective: Pick<Collaboration['effective'], 'idTypes' | 'expiresAt'>;
  readonly approvals: readonly { readonly nodeId: string }[];
  readonly revocations: readonly { readonly nodeId: string; readonly revokedAt: Date; readonly reason: string }[];
}

/** Throws, saying why, unless a run may use the collaboration. */
export function checkRunnable(collaboration: RunnableInputs): void {
  const { id, status } = collaboration;
  if (status === 'revoked') {
    const first = collaboration.revocations[0]!;
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_REVOKED', `collaboration ${id} was revoked by node ${first.nodeId} at ${first.revokedAt.toISOString()}${first.reason ? `: ${first.reason}` : ''}`);
  }
  if (status === 'expired') throw new CollaborationError('ACCORD_ERR_COLLABORATION_EXPIRED', `collaboration ${id} expired at ${collaboration.effective.expiresAt}`);
  if (status === 'proposed') {
    const approved = new Set(collaboration.approvals.map((approval) => approval.nodeId));
    const waiting = collaboration.terms.parties.filter((party) => !approved.has(party.nodeId)).map((party) => `${party.role} ${party.nodeId}`);
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_NOT_APPROVED', `collaboration ${id} still needs the approval of ${waiting.join(', ')}`);
  }
  if (collaboration.effective.idTypes.length === 0) {
    throw new CollaborationError('ACCORD_ERR_COLLABORATION_NOT_APPROVED', `the parties' approvals of collaboration ${id} leave no identifier type in common`);
  }
}

/** The collaboration, if a run may use it at `at`; otherwise an error saying why not. */
export async function requireRunnableCollaboration(trx: TenantTransaction, id: string, at: Date): Promise<Collaboration> {
  // Held to the end of the caller's transaction: a revocation waits until the run is on record.
  await lockCollaboration(trx, id, 'shared');
  const collaboration = await loadCollaboration(trx, id, at);
  if (!collaboration) throw new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `collaboration ${id} not found`);
  checkRunnable(collaboration);
  return collaboration;
}
