/**
 * RFC 6962 proofs over the consent log against its signed checkpoints: which checkpoint covers an
 * event (sealing one at the head when none does yet), and the consistency proof between two sizes.
 * The node refuses to prove anything from a log whose leaves no longer give a checkpoint's signed
 * root: a proof from a rewritten log would only mislead (failure modes 47-48).
 */
import { ConsentError } from '../../consent/consent-errors.ts';
import { consistencyProof, rootHash } from '../../crypto/merkle.ts';
import { AccordError, notFound } from '../errors.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { consentLeafHashes, latestConsentCheckpoint, sealConsentCheckpoint, type CheckpointSigner, type StoredCheckpoint } from './consent-checkpoints.ts';

export interface ProvenCheckpoint {
  readonly checkpoint: StoredCheckpoint;
  /** Leaf hashes of events 1..checkpoint.treeSize, checked against its signed root. */
  readonly leaves: Uint8Array[];
}

/** The latest checkpoint, sealed at the head first when it does not reach `seq`. */
export async function checkpointCovering(trx: TenantTransaction, signer: CheckpointSigner, seq: number): Promise<ProvenCheckpoint> {
  const latest = await latestConsentCheckpoint(trx);
  const checkpoint = latest && latest.treeSize >= seq ? latest : await sealConsentCheckpoint(trx, signer);
  if (!checkpoint || checkpoint.treeSize < seq) throw notFound(`consent event ${seq}`);
  return { checkpoint, leaves: await leavesUnder(trx, checkpoint) };
}

export async function leavesUnder(trx: TenantTransaction, checkpoint: StoredCheckpoint): Promise<Uint8Array[]> {
  const leaves = await consentLeafHashes(trx, checkpoint.treeSize);
  if (leaves.length !== checkpoint.treeSize || Buffer.compare(Buffer.from(rootHash(leaves)), Buffer.from(checkpoint.rootHash)) !== 0) {
    throw new ConsentError('ACCORD_ERR_CONSENT_LOG_ALTERED', `the log's first ${checkpoint.treeSize} events no longer match their signed checkpoint; run accord consent verify`);
  }
  return leaves;
}

export async function findConsentCheckpoint(trx: TenantTransaction, treeSize: number): Promise<StoredCheckpoint | undefined> {
  const row = await trx.selectFrom('consent_checkpoints').selectAll().where('tree_size', '=', treeSize).executeTakeFirst();
  return row && { treeSize: row.tree_size, rootHash: row.root_hash, body: row.body, signature: row.signature, signedAt: row.signed_at };
}

export interface ConsistencyProof {
  readonly oldSize: number;
  /** The signed checkpoint the proof leads to. */
  readonly checkpoint: StoredCheckpoint;
  readonly proof: Uint8Array[];
}

/**
 * Proves the log at `oldSize` is a prefix of the signed checkpoint at `newSize` (the latest when
 * omitted). `oldSize` need not be a stored checkpoint: the auditor brings its own signed root.
 */
export async function consentConsistencyProof(trx: TenantTransaction, oldSize: number, newSize?: number): Promise<ConsistencyProof> {
  const checkpoint = newSize === undefined ? await latestConsentCheckpoint(trx) : await findConsentCheckpoint(trx, newSize);
  if (!checkpoint) throw notFound(newSize === undefined ? 'checkpoint' : `checkpoint at ${newSize} events`);
  if (oldSize > checkpoint.treeSize) {
    // An auditor holding a larger checkpoint than the log now has is looking at a rollback.
    throw new AccordError('ACCORD_ERR_INVALID_INPUT', `the old size ${oldSize} exceeds the checkpoint's ${checkpoint.treeSize} events`);
  }
  const leaves = await leavesUnder(trx, checkpoint);
  return { oldSize, checkpoint, proof: consistencyProof(leaves, oldSize, checkpoint.treeSize) };
}
