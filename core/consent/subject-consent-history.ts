/**
 * A person's consent history with proof: their events in log order, each with its canonical record
 * and RFC 6962 inclusion proof against one signed checkpoint, and their current decisions per
 * (purpose, recipient, regime). A subject the ledger never saw gets exactly what a subject without
 * events gets, so the answer is no existence oracle (failure mode 53).
 */
import { consentEventRecord, type ConsentEvent } from '../../consent/consent-event.ts';
import { inclusionProof } from '../../crypto/merkle.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { latestConsentCheckpoint, type CheckpointSigner, type StoredCheckpoint } from './consent-checkpoints.ts';
import { toConsentEvent } from './consent-log-reader.ts';
import { checkpointCovering } from './consent-proofs.ts';
import { subjectConsentState, type CurrentDecision } from './subject-consent-state.ts';

export interface ProvenEvent {
  readonly event: ConsentEvent;
  /** The RFC 8785 bytes the leaf hash is taken over. */
  readonly record: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly inclusionProof: Uint8Array[];
}

export interface SubjectHistory {
  /** What every proof leads to; the latest checkpoint, or none while the log is empty. */
  readonly checkpoint: StoredCheckpoint | undefined;
  readonly events: ProvenEvent[];
  readonly state: CurrentDecision[];
}

export async function subjectConsentHistory(trx: TenantTransaction, signer: CheckpointSigner, subject: string): Promise<SubjectHistory> {
  const rows = await trx.selectFrom('consent_events').selectAll().where('subject', '=', subject).orderBy('seq').execute();
  const state = await subjectConsentState(trx, subject);
  if (rows.length === 0) return { checkpoint: await latestConsentCheckpoint(trx), events: [], state };

  const { checkpoint, leaves } = await checkpointCovering(trx, signer, rows.at(-1)!.seq);
  const events = rows.map((row) => {
    const event = toConsentEvent(row);
    return { event, record: consentEventRecord(event), leafHash: leaves[event.seq - 1]!, inclusionProof: inclusionProof(leaves, event.seq - 1) };
  });
  return { checkpoint, events, state };
}
