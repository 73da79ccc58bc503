/**
 * The job processors this node runs, by job name. Each feature adds its processors here; this is
 * the only place they are wired to the runner.
 */
import { SEAL_CONSENT_CHECKPOINT_JOB, sealConsentCheckpointJob } from '../core/consent/consent-checkpoint-schedule.ts';
import type { ActivationDeps } from '../core/activation/activation-deps.ts';
import { activationJobProcessors } from '../core/activation/sync-jobs.ts';
import type { ConsentGate } from '../core/consent/consent-gate.ts';
import { invalidateSupersededConsents } from '../core/consent/invalidate-superseded-consents.ts';
import { INVALIDATE_SUPERSEDED_CONSENTS_JOB } from '../core/consent/notices.ts';
import { DELIVER_COLLABORATION_MESSAGES_JOB, deliverCollaborationMessagesJob } from '../core/collaborations/deliver-collaboration-messages.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../core/db/schema.ts';
import type { NodeIdentity } from '../core/identity/node-identity.ts';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import { INGEST_FILE_JOB, ingestFileJob } from '../core/ingest/ingest-file-job.ts';
import type { JobProcessors } from '../core/jobs/job-runner.ts';
import { preparePsiServerJob } from '../core/psi/prepare-psi-server-job.ts';
import type { PsiEngines } from '../core/psi/psi-engines.ts';
import { psiNodeOf } from '../core/psi/psi-node.ts';
import { EXPIRE_PSI_RUN_JOB, PREPARE_PSI_SERVER_JOB } from '../core/psi/psi-server.ts';
import { expirePsiRunJob } from '../core/psi/expire-psi-run-job.ts';
import { RUN_PSI_JOB, runPsiJob } from '../core/psi/run-psi-job.ts';
import { SUBJECT_ERASED_JOB } from '../core/privacy/erase-subject.ts';
import { notifyErasureRecipients } from '../core/privacy/notify-erasure-recipients.ts';
import { COMPUTE_RULE_TAG_JOB, computeRuleTagJob } from '../core/tags/compute-rule-tag-job.ts';
import { COMPUTE_SQL_TAG_JOB, computeSqlTagJob } from '../core/tags/compute-sql-tag-job.ts';
import { REFRESH_SEGMENT_JOB, refreshSegmentJob } from '../core/segments/refresh-segment-job.ts';
import { scoringNodeOf, type ScoringNode } from '../core/scoring/scoring-node.ts';
import { SCORING_TURN_JOB } from '../core/scoring/start-training.ts';
import { scoringTurnJob } from '../core/scoring/training-turns.ts';

/** Those that need no node identity; tags and segments process people through the process's one gate. */
export const jobProcessors = (gate: ConsentGate): JobProcessors => ({
  [INVALIDATE_SUPERSEDED_CONSENTS_JOB]: invalidateSupersededConsents,
  [SUBJECT_ERASED_JOB]: notifyErasureRecipients,
  [COMPUTE_SQL_TAG_JOB]: computeSqlTagJob(gate),
  [REFRESH_SEGMENT_JOB]: refreshSegmentJob(gate),
  [COMPUTE_RULE_TAG_JOB]: computeRuleTagJob(gate),
});

/**
 * All of them, with those that act as the node (sign with its key) or seal with its master key,
 * once its identity is loaded. Ingest runs a chunk per transaction, so it takes the database itself.
 */
export const nodeJobProcessors = (db: Kysely<Database>, identity: NodeIdentity, masterKey: Uint8Array, psiEngines: PsiEngines, gate: ConsentGate, scoring: ScoringNode = scoringNodeOf(identity, masterKey, gate), activation?: Omit<ActivationDeps, 'masterKey' | 'gate'>): JobProcessors => {
  const psi = psiNodeOf(identity, masterKey, psiEngines, gate);
  return {
  ...jobProcessors(gate),
  ...(activation ? activationJobProcessors({ ...activation, masterKey, gate }) : {}),
  [INGEST_FILE_JOB]: ingestFileJob(db, new IdentifierKeys(masterKey)),
  [RUN_PSI_JOB]: runPsiJob(psi),
  [PREPARE_PSI_SERVER_JOB]: preparePsiServerJob(psi),
  [EXPIRE_PSI_RUN_JOB]: expirePsiRunJob,
  [SEAL_CONSENT_CHECKPOINT_JOB]: sealConsentCheckpointJob(identity),
  [DELIVER_COLLABORATION_MESSAGES_JOB]: deliverCollaborationMessagesJob(identity),
  [SCORING_TURN_JOB]: scoringTurnJob(scoring),
  };
};
