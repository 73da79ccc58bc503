/**
 * Telling the other parties what this node signed. Approving or revoking records, in the same
 * transaction, one pending delivery per other party and a job (the outbox), so the statement
 * reaches them even if this process dies right after. Deliveries are tried at once after commit,
 * again by the job with backoff, and on demand (`POST /v1/collaborations/:id/sync`); the receiver
 * treats a redelivery as a no-op, so trying twice is safe. Network calls happen outside any
 * transaction.
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobProcessor } from '../jobs/job-runner.ts';
import { OFFLINE_BASE_URL } from '../peers/offline-party.ts';
import { callPeer } from '../peers/peer-client.ts';
import { toSignedApproval, toSignedRevocation } from './collaboration-document.ts';
import { loadCollaboration, type Collaboration } from './collaboration-store.ts';

export const DELIVER_COLLABORATION_MESSAGES_JOB = 'collaborations.deliver';

const payloadSchema = z.object({ collaborationId: z.uuid() });

export type DeliveryKind = 'approval' | 'revocation';

export interface DeliveryOutcome {
  readonly toNodeId: string;
  readonly kind: DeliveryKind;
  readonly status: 'pending' | 'delivered';
  readonly attempts: number;
  readonly lastError: string | null;
}

export type InTenant = <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>;

/**
 * Queues this node's statement for every other party; call in the transaction that stored it. An
 * offline party (core/peers/offline-party.ts) has no address to push to: it fetches the statements
 * itself with the terms.
 */
export async function queueDeliveries(trx: TenantTransaction, c: Collaboration, self: string, kind: DeliveryKind): Promise<void> {
  const parties = c.terms.parties.filter((party) => party.nodeId !== self).map((party) => party.nodeId);
  if (parties.length === 0) return;
  const offline = await trx.selectFrom('peers').select('node_id').where('node_id', 'in', parties).where('base_url', '=', OFFLINE_BASE_URL).execute();
  const others = parties.filter((nodeId) => !offline.some((peer) => peer.node_id === nodeId));
  if (others.length === 0) return;
  await trx
    .insertInto('collaboration_deliveries')
    .values(others.map((nodeId) => ({ tenant_id: trx.tenantId, collaboration_id: c.id, to_node_id: nodeId, kind, last_error: null, delivered_at: null })))
    .onConflict((oc) => oc.columns(['tenant_id', 'collaboration_id', 'to_node_id', 'kind']).doNothing())
    .execute();
  await enqueueJob(trx, DELIVER_COLLABORATION_MESSAGES_JOB, { collaborationId: c.id }, { maxAttempts: 10 });
}

export async function listDeliveries(trx: TenantTransaction, collaborationId: string): Promise<DeliveryOutcome[]> {
  const rows = await trx
    .selectFrom('collaboration_deliveries')
    .select(['to_node_id', 'kind', 'status', 'attempts', 'last_error'])
    .where('collaboration_id', '=', collaborationId)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({ toNodeId: row.to_node_id, kind: row.kind, status: row.status, attempts: row.attempts, lastError: row.last_error }));
}

interface PendingDelivery {
  id: number;
  toNodeId: string;
  kind: DeliveryKind;
  path: string;
  body: object;
  baseUrl: string | undefined;
}

async function pendingDeliveries(trx: TenantTransaction, identity: NodeIdentity, collaborationId: string): Promise<PendingDelivery[]> {
  const c = await loadCollaboration(trx, collaborationId);
  if (!c) return [];
  const rows = await trx.selectFrom('collaboration_deliveries').select(['id', 'to_node_id', 'kind']).where('collaboration_id', '=', collaborationId).where('status', '=', 'pending').orderBy('id').execute();
  if (rows.length === 0) return [];
  const peers = await trx.selectFrom('peers').select(['node_id', 'base_url']).where('node_id', 'in', rows.map((row) => row.to_node_id)).execute();
  const ownApproval = c.approvals.find((a) => a.nodeId === identity.nodeId);
  const ownRevocation = c.revocations.find((r) => r.nodeId === identity.nodeId);
  return rows.flatMap((row) => {
    const statement = row.kind === 'approval' ? ownApproval && toSignedApproval(ownApproval) : ownRevocation && toSignedRevocation(ownRevocation);
    if (!statement) return [];
    return [{ id: Number(row.id), toNodeId: row.to_node_id, kind: row.kind, path: `/v1/node/collaborations/${c.id}/${row.kind === 'approval' ? 'approvals' : 'revocations'}`, body: statement, baseUrl: peers.find((p) => p.node_id === row.to_node_id)?.base_url }];
  });
}

async function send(identity: NodeIdentity, delivery: PendingDelivery): Promise<string | null> {
  if (!delivery.baseUrl) return `node ${delivery.toNodeId} is no longer a registered peer of this tenant`;
  try {
    await callPeer(identity, { nodeId: delivery.toNodeId, baseUrl: delivery.baseUrl }, 'POST', delivery.path, delivery.body);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Tries every pending delivery of the collaboration once; returns where each delivery now stands. */
export async function deliverPendingMessages(inTenant: InTenant, identity: NodeIdentity, collaborationId: string): Promise<DeliveryOutcome[]> {
  const pending = await inTenant((trx) => pendingDeliveries(trx, identity, collaborationId));
  const results = await Promise.all(pending.map(async (delivery) => ({ delivery, error: await send(identity, delivery) })));
  return inTenant(async (trx) => {
    for (const { delivery, error } of results) {
      await trx
        .updateTable('collaboration_deliveries')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          last_error: error,
          ...(error === null ? { status: 'delivered' as const, delivered_at: sql<Date>`now()` } : {}),
        }))
        .where('id', '=', delivery.id)
        .where('status', '=', 'pending')
        .execute();
    }
    return listDeliveries(trx, collaborationId);
  });
}

/** The job: delivers what is pending and fails (to be retried with backoff) while anything still is. */
export const deliverCollaborationMessagesJob =
  (identity: NodeIdentity): JobProcessor =>
  async (job) => {
    const payload = payloadSchema.safeParse(job.payload);
    if (!payload.success) throw new UnrecoverableJobError(`${DELIVER_COLLABORATION_MESSAGES_JOB} needs { collaborationId }`);
    const { collaborationId } = payload.data;
    const outcomes = await deliverPendingMessages((work) => job.inTenant(work), identity, collaborationId);
    const stuck = outcomes.filter((outcome) => outcome.status === 'pending');
    if (stuck.length > 0) throw new Error(`still undelivered: ${stuck.map((o) => `${o.kind} to ${o.toNodeId} (${o.lastError ?? 'not tried'})`).join('; ')}`);
  };
