/**
 * A step message from the model's peer (signed node request): it goes into this party's inbox and a
 * turn is queued to act on it, in one transaction. Only the model's peer may send, only the kinds
 * the other role sends, and only while the model trains; a repeat of a stored message is accepted
 * without queueing again, and a different message for the same kind and step is refused.
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { findMessage, receiveMessage, receivedBy, type MessageKind } from './model-messages.ts';
import { messageDigest } from './step-message.ts';
import { requireModel } from './model-store.ts';
import { ScoringError } from './scoring-errors.ts';
import { SCORING_TURN_JOB } from './start-training.ts';

export async function receiveStepMessage(trx: TenantTransaction, sender: { nodeId: string }, id: string, kind: string, step: number, bytes: Uint8Array): Promise<{ queued: boolean }> {
  const model = await requireModel(trx, id);
  if (model.peerNodeId !== sender.nodeId) throw new ScoringError('ACCORD_ERR_SCORING_MODEL_UNKNOWN', `no model ${id} with this node`);
  if (!(receivedBy[model.role] as readonly string[]).includes(kind)) throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_BINDING', `a ${model.role} does not receive ${kind} messages`);
  const stored = await findMessage(trx, id, 'in', kind as MessageKind, step);
  if (stored) {
    // A retried delivery is answered as before; a different message for the same step never is.
    if (stored.digest !== messageDigest(bytes)) throw new ScoringError('ACCORD_ERR_SCORING_MESSAGE_CONFLICT', `a different ${kind} message for step ${step} of model ${id} was received already`);
    return { queued: false };
  }
  if (model.status !== 'training') throw new ScoringError('ACCORD_ERR_SCORING_MODEL_STATE', `model ${id} is ${model.status}`);
  const fresh = await receiveMessage(trx, id, kind as MessageKind, step, bytes);
  if (fresh) await enqueueJob(trx, SCORING_TURN_JOB, { modelId: id });
  return { queued: fresh };
}
