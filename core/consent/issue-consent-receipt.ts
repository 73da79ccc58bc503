/**
 * Issues the signed receipt of one of a person's consent events, proven against a signed checkpoint
 * (sealed on the spot when none covers the event yet). The caller names the person: an event of
 * someone else is "not found", exactly like one that does not exist.
 */
import { consentReceiptClaims, signConsentReceipt, type ConsentReceiptClaims, type ReceiptNotice } from '../../consent/consent-receipt.ts';
import { inclusionProof } from '../../crypto/merkle.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { notFound } from '../errors.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';
import type { StoredCheckpoint } from './consent-checkpoints.ts';
import { toConsentEvent } from './consent-log-reader.ts';
import { checkpointCovering } from './consent-proofs.ts';
import { findPurpose } from './purposes.ts';

export interface IssuedReceipt {
  readonly receipt: string;
  readonly claims: ConsentReceiptClaims;
  /** The signed checkpoint the receipt's inclusion proof leads to. */
  readonly checkpoint: StoredCheckpoint;
}

export async function issueConsentReceipt(trx: TenantTransaction, identity: NodeIdentity, subject: string, seq: number, now = new Date()): Promise<IssuedReceipt> {
  const row = await trx.selectFrom('consent_events').selectAll().where('seq', '=', seq).where('subject', '=', subject).executeTakeFirst();
  if (!row) throw notFound(`consent event ${seq} of this subject`);
  const event = toConsentEvent(row);
  // Purposes are never deleted or redefined, so the one the event cites is still the one it meant.
  const purpose = await findPurpose(trx, event.purpose);
  if (!purpose) throw notFound(`purpose ${event.purpose}`);
  const { checkpoint, leaves } = await checkpointCovering(trx, identity, seq);
  const claims = consentReceiptClaims({
    event,
    purpose,
    notice: event.noticeId ? await receiptNotice(trx, event.noticeId) : null,
    nodeId: identity.nodeId,
    partyName: identity.partyName,
    proof: { leafHash: leaves[seq - 1]!, inclusionProof: inclusionProof(leaves, seq - 1), checkpoint },
    issuedAt: now,
  });
  return { receipt: signConsentReceipt(claims, identity), claims, checkpoint };
}

async function receiptNotice(trx: TenantTransaction, id: string): Promise<ReceiptNotice | null> {
  const row = await trx
    .selectFrom('consent_notices')
    .select(['id', 'notice_key', 'version', 'language', 'content_hash', 'data_categories'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { id: row.id, noticeKey: row.notice_key, version: row.version, language: row.language, contentHash: row.content_hash, dataCategories: row.data_categories } : null;
}
