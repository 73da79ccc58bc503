/**
 * Signed checkpoints of the consent log: an RFC 6962 tree head over the canonical event records,
 * signed with the node's Ed25519 key. A checkpoint handed to an auditor or anchored elsewhere binds
 * the node to everything logged up to it; `verifyConsentLog` recomputes each stored tree head.
 */
import { consentEventRecord } from '../../consent/consent-event.ts';
import { consentLogOrigin } from '../../consent/consent-log-origin.ts';
import { encodeCheckpoint, type Checkpoint } from '../../crypto/checkpoint.ts';
import { leafHash, rootHash } from '../../crypto/merkle.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { readConsentLog } from './consent-log-reader.ts';

export interface CheckpointSigner {
  readonly nodeId: string;
  sign(message: Uint8Array): Uint8Array;
}

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Uint8Array;
  readonly body: Uint8Array;
  readonly signature: Uint8Array;
  readonly signedAt: Date;
}

/** Leaf hashes of events 1..toSeq, in order. */
export async function consentLeafHashes(trx: TenantTransaction, toSeq?: number): Promise<Uint8Array[]> {
  const leaves: Uint8Array[] = [];
  for await (const { event } of readConsentLog(trx, 1, toSeq)) leaves.push(leafHash(consentEventRecord(event)));
  return leaves;
}

export async function latestConsentCheckpoint(trx: TenantTransaction): Promise<StoredCheckpoint | undefined> {
  const row = await trx.selectFrom('consent_checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  return row && { treeSize: row.tree_size, rootHash: row.root_hash, body: row.body, signature: row.signature, signedAt: row.signed_at };
}

/** Signs a checkpoint at the current head, or returns the latest when nothing was logged since. */
export async function sealConsentCheckpoint(trx: TenantTransaction, signer: CheckpointSigner, now = new Date()): Promise<StoredCheckpoint | undefined> {
  const head = (await trx.selectFrom('consent_chain_heads').select('seq').forUpdate().executeTakeFirst())?.seq ?? 0;
  if (head === 0) return undefined;
  const latest = await latestConsentCheckpoint(trx);
  if (latest && latest.treeSize === head) return latest;
  const leaves = await consentLeafHashes(trx, head);
  const checkpoint: Checkpoint = { origin: consentLogOrigin(signer.nodeId, trx.tenantId), treeSize: head, rootHash: rootHash(leaves), timestamp: now.getTime() };
  const body = encodeCheckpoint(checkpoint);
  const signature = signer.sign(body);
  await trx
    .insertInto('consent_checkpoints')
    .values({ tenant_id: trx.tenantId, tree_size: head, root_hash: checkpoint.rootHash, body, signature, signed_at: now })
    .execute();
  return { treeSize: head, rootHash: checkpoint.rootHash, body, signature, signedAt: now };
}
