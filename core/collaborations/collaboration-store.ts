/**
 * Collaborations as stored in a tenant: the terms, the approvals and revocations every party signed,
 * and what follows from them (effective terms and status). Rows are only ever added.
 */
import { sql } from 'kysely';
import { CollaborationError } from './collaboration-errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { effectiveTerms, type ApprovalConstraints, type EffectiveTerms } from './approval-constraints.ts';
import { statusAt, type CollaborationStatus } from './collaboration-status.ts';
import type { CollaborationTerms } from './collaboration-terms.ts';

export interface Approval {
  readonly nodeId: string;
  readonly constraints: ApprovalConstraints;
  readonly signature: Uint8Array;
  /** `apikey:<id>` when approved here, `node:<id>` when received from that party's node. */
  readonly approvedBy: string;
  readonly recordedAt: Date;
}

export interface Revocation {
  readonly nodeId: string;
  readonly reason: string;
  readonly revokedAt: Date;
  readonly signature: Uint8Array;
  readonly revokedBy: string;
  readonly recordedAt: Date;
}

export interface Collaboration {
  readonly id: string;
  readonly terms: CollaborationTerms;
  readonly termsHash: Uint8Array;
  /** The node the terms came from: this node when they were proposed here. */
  readonly originNodeId: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly approvals: readonly Approval[];
  readonly revocations: readonly Revocation[];
  readonly effective: EffectiveTerms;
  readonly status: CollaborationStatus;
}

/**
 * Serialises what changes a collaboration's status (approve, revoke: exclusive) with what relies on
 * it (starting a run: shared), so a run cannot start on a collaboration a committed revocation ended.
 */
export async function lockCollaboration(trx: TenantTransaction, id: string, mode: 'shared' | 'exclusive'): Promise<void> {
  const key = `accord.collaboration:${trx.tenantId}:${id}`;
  if (mode === 'exclusive') await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
  else await sql`select pg_advisory_xact_lock_shared(hashtextextended(${key}, 0))`.execute(trx);
}

type CollaborationRow = { id: string; terms: unknown; terms_hash: Uint8Array; origin_node_id: string; created_by: string; created_at: Date };

async function assemble(trx: TenantTransaction, rows: CollaborationRow[], at: Date): Promise<Collaboration[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const approvals = await trx.selectFrom('collaboration_approvals').selectAll().where('collaboration_id', 'in', ids).orderBy('recorded_at').execute();
  const revocations = await trx.selectFrom('collaboration_revocations').selectAll().where('collaboration_id', 'in', ids).orderBy('revoked_at').execute();
  return rows.map((row) => {
    const terms = row.terms as CollaborationTerms;
    const own = {
      approvals: approvals
        .filter((a) => a.collaboration_id === row.id)
        .map((a) => ({ nodeId: a.node_id, constraints: a.constraints as ApprovalConstraints, signature: new Uint8Array(a.signature), approvedBy: a.approved_by, recordedAt: a.recorded_at })),
      revocations: revocations
        .filter((r) => r.collaboration_id === row.id)
        .map((r) => ({ nodeId: r.node_id, reason: r.reason, revokedAt: r.revoked_at, signature: new Uint8Array(r.signature), revokedBy: r.revoked_by, recordedAt: r.recorded_at })),
    };
    const effective = effectiveTerms(terms, own.approvals.map((a) => a.constraints));
    const base = { id: row.id, terms, termsHash: new Uint8Array(row.terms_hash), originNodeId: row.origin_node_id, createdBy: row.created_by, createdAt: row.created_at, ...own, effective };
    return { ...base, status: statusAt(base, at) };
  });
}

const collaborationColumns = ['id', 'terms', 'terms_hash', 'origin_node_id', 'created_by', 'created_at'] as const;

/** Terms, approvals, revocations, effective terms and status at `at`; undefined when the tenant has no such collaboration. */
export async function loadCollaboration(trx: TenantTransaction, id: string, at = new Date()): Promise<Collaboration | undefined> {
  const rows = await trx.selectFrom('collaborations').select(collaborationColumns).where('id', '=', id).execute();
  return (await assemble(trx, rows, at))[0];
}

/** The collaboration, locked for a change of status. */
export async function loadForChange(trx: TenantTransaction, id: string, now: Date): Promise<Collaboration> {
  await lockCollaboration(trx, id, 'exclusive');
  const c = await loadCollaboration(trx, id, now);
  if (!c) throw new CollaborationError('ACCORD_ERR_COLLABORATION_UNKNOWN', `collaboration ${id} not found`);
  return c;
}

export async function listCollaborations(trx: TenantTransaction, at = new Date()): Promise<Collaboration[]> {
  const rows = await trx.selectFrom('collaborations').select(collaborationColumns).orderBy('created_at', 'desc').execute();
  return assemble(trx, rows, at);
}

export async function insertCollaboration(trx: TenantTransaction, row: { terms: CollaborationTerms; termsHash: Uint8Array; originNodeId: string; createdBy: string }): Promise<void> {
  await trx
    .insertInto('collaborations')
    .values({ tenant_id: trx.tenantId, id: row.terms.id, terms: JSON.stringify(row.terms), terms_hash: row.termsHash, origin_node_id: row.originNodeId, created_by: row.createdBy })
    .execute();
}

/** False when the party's approval was already stored (a redelivery). */
export async function insertApproval(trx: TenantTransaction, collaborationId: string, approval: Omit<Approval, 'recordedAt'>): Promise<boolean> {
  const inserted = await trx
    .insertInto('collaboration_approvals')
    .values({ tenant_id: trx.tenantId, collaboration_id: collaborationId, node_id: approval.nodeId, constraints: JSON.stringify(approval.constraints), signature: approval.signature, approved_by: approval.approvedBy })
    .onConflict((oc) => oc.columns(['tenant_id', 'collaboration_id', 'node_id']).doNothing())
    .returning('node_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/**
 * False when the party's revocation was already stored. A revocation, whichever party made it, also
 * erases the PSI key epochs and blinded sets kept for the collaboration: nothing may run on them again.
 */
export async function insertRevocation(trx: TenantTransaction, collaborationId: string, revocation: Omit<Revocation, 'recordedAt'>): Promise<boolean> {
  const inserted = await trx
    .insertInto('collaboration_revocations')
    .values({ tenant_id: trx.tenantId, collaboration_id: collaborationId, node_id: revocation.nodeId, reason: revocation.reason, revoked_at: revocation.revokedAt, signature: revocation.signature, revoked_by: revocation.revokedBy })
    .onConflict((oc) => oc.columns(['tenant_id', 'collaboration_id', 'node_id']).doNothing())
    .returning('node_id')
    .executeTakeFirst();
  await trx.deleteFrom('psi_key_epochs').where('collaboration_id', '=', collaborationId).execute();
  return inserted !== undefined;
}
