/**
 * The peer registry: other Accord nodes this tenant works with, each pinned to its Ed25519 public
 * key. Later protocols accept a message from a peer only under the key registered here.
 */
import { isValidPublicKey } from '../../crypto/ed25519.ts';
import { recordAuditEvent } from '../audit/audit-log.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { AccordError } from '../errors.ts';
import { OFFLINE_BASE_URL } from './offline-party.ts';

export interface PeerInput {
  nodeId: string;
  name: string;
  /** Absent for an offline party (offline-party.ts): it calls this node, never the other way. */
  baseUrl?: string | undefined;
  publicKey: Uint8Array;
}

const columns = ['id', 'node_id', 'name', 'base_url', 'public_key', 'created_at'] as const;

export async function registerPeer(trx: TenantTransaction, actor: string, input: PeerInput) {
  if (!isValidPublicKey(input.publicKey)) {
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', 'publicKey is not a valid Ed25519 public key');
  }
  const peer = await trx
    .insertInto('peers')
    .values({
      tenant_id: trx.tenantId,
      node_id: input.nodeId,
      name: input.name,
      base_url: input.baseUrl ?? OFFLINE_BASE_URL,
      public_key: input.publicKey,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'node_id']).doNothing())
    .returning(columns)
    .executeTakeFirst();
  if (!peer) throw new AccordError('ACCORD_ERR_CONFLICT', `peer node ${input.nodeId} is already registered`);
  await recordAuditEvent(trx, { actor, action: 'peer.registered', targetType: 'peer', targetId: peer.id, details: { nodeId: input.nodeId, name: input.name } });
  return peer;
}

export async function listPeers(trx: TenantTransaction) {
  return trx.selectFrom('peers').select(columns).orderBy('created_at').execute();
}

export async function findPeer(trx: TenantTransaction, id: string) {
  return trx.selectFrom('peers').select(columns).where('id', '=', id).executeTakeFirst();
}
