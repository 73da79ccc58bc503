/**
 * A node's own runs, as the client: `startPsiRun` admits a run through this node's guard and queues
 * `psi.run`; the job takes the consented input, drives the protocol against the partner node and
 * releases what the guard allows. A worker that dies mid-run leaves the job to be retried: the
 * sealed run key and the server's view let it resume without changing the result. A run that cannot
 * finish is failed on both sides and nothing of it is released.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Regime } from '../../consent/consent-event.ts';
import { recordProcessing } from '../audit/processing-records.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { admitRun } from '../guard/admit-run.ts';
import { recordGuardRefusal } from '../guard/guard-ledger.ts';
import { GuardError } from '../guard/guard-errors.ts';
import { recordPeerRelease } from '../guard/record-peer-release.ts';
import { releaseCounts, type GuardDecision } from '../guard/release-counts.ts';
import { releaseMembers } from '../guard/release-members.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { UnrecoverableJobError, type JobContext, type JobProcessor } from '../jobs/job-runner.ts';
import { PeerError } from '../peers/peer-errors.ts';
import { runPsiClient, type PsiClientResult } from './psi-client.ts';
import { learnsMembers, loadPsiCollaboration, peerAddressOf, peerFor } from './psi-collaboration.ts';
import { httpPsiTransport } from './psi-http-transport.ts';
import { candidateCount, collectPsiInput, type PsiInput } from './psi-input.ts';
import type { FinishRunBody } from './psi-protocol.ts';
import { storeMatches, storePayloads } from './psi-matches.ts';
import type { PsiNode } from './psi-node.ts';
import { openRunKey, sealRunKey } from './psi-run-key.ts';
import { requireRun } from './psi-runs.ts';
import { PsiRunError } from './psi-run-error.ts';
import { isOfflineBaseUrl } from '../peers/offline-party.ts';
import { closeRun } from './psi-server.ts';

export const RUN_PSI_JOB = 'psi.run';

export interface StartPsiRun {
  readonly collaborationId: string;
  readonly segmentId: number | null;
  readonly peerNodeId?: string | undefined;
  readonly mode?: 'balanced' | 'unbalanced';
  readonly actor: string;
}

/** Admits a run on this node (its own guard: budget, rate, sizes) and queues it. */
export async function startPsiRun(trx: TenantTransaction, selfNodeId: string, request: StartPsiRun): Promise<string> {
  const collaboration = await loadPsiCollaboration(trx, selfNodeId, request.collaborationId, new Date());
  const peer = peerFor(collaboration, request.peerNodeId);
  // A party without a node (`accord psi join`) starts every run itself: there is nothing to call.
  if (isOfflineBaseUrl((await peerAddressOf(trx, collaboration, peer.nodeId)).baseUrl)) {
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `node ${peer.nodeId} is an offline party: it starts runs with \`accord psi join\``);
  }
  const runId = randomUUID();
  const declared = Math.max(1, await candidateCount(trx, request.segmentId));
  await admitRun(trx, collaboration.id, runId, collaboration.policy, { own: declared, peer: declared });
  await trx
    .insertInto('psi_runs')
    .values({
      tenant_id: trx.tenantId,
      id: runId,
      collaboration_id: collaboration.id,
      role: 'client',
      peer_node_id: peer.nodeId,
      suite: collaboration.suite,
      mode: request.mode ?? 'balanced',
      id_types: collaboration.idTypes,
      segment_id: request.segmentId,
      status: 'preparing',
      client_learns_members: learnsMembers(collaboration.outputs, collaboration.self.role),
      server_learns_members: learnsMembers(collaboration.outputs, peer.role),
      started_by: request.actor,
    })
    .execute();
  await enqueueJob(trx, RUN_PSI_JOB, { run: runId }, { maxAttempts: 3 });
  return runId;
}

const payloadSchema = z.object({ run: z.uuid() });

export const runPsiJob = (node: PsiNode): JobProcessor => async (job) => {
  const payload = payloadSchema.safeParse(job.payload);
  if (!payload.success) throw new UnrecoverableJobError(`${RUN_PSI_JOB} needs { run }`);
  const runId = payload.data.run;
  try {
    await driveRun(job, node, runId);
  } catch (error) {
    const retriable = error instanceof PeerError && error.code === 'ACCORD_ERR_PEER_UNREACHABLE';
    if (retriable && job.attempt < 3) throw error;
    await failRun(job, node, runId, error as Error);
    throw new UnrecoverableJobError((error as Error).message);
  }
};

async function driveRun(job: JobContext, node: PsiNode, runId: string): Promise<void> {
  const setup = await job.inTenant(async (trx) => {
    const run = await requireRun(trx, runId);
    if (run.status === 'finished' || run.status === 'failed') return undefined;
    const collaboration = await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date());
    const engine = await node.engines.engine(collaboration.suite);
    let sealed = run.key_sealed;
    if (!sealed) {
      const fresh = engine.newKey();
      sealed = sealRunKey(node.masterKey, engine, fresh, trx.tenantId, runId);
      fresh.destroy();
      await trx.updateTable('psi_runs').set({ key_sealed: sealed, status: 'running' }).where('id', '=', runId).execute();
    }
    const input = await collectPsiInput(trx, node.gate, node.identifierKeys, {
      segmentId: run.segment_id,
      idTypes: run.id_types,
      purpose: collaboration.purpose,
      recipients: collaboration.recipients,
      regime: collaboration.regime as Regime,
      collaborationId: collaboration.id,
      actor: run.started_by,
    });
    // A retry must send exactly what the first attempt began to send, or hits would map to the wrong people.
    const fingerprint = inputFingerprint(input);
    const progress = run.progress as { inputFingerprint?: string };
    if (progress.inputFingerprint && progress.inputFingerprint !== fingerprint) {
      throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', 'the consented input changed since this run began (consent or segment changes); start a new run');
    }
    if (!progress.inputFingerprint) await trx.updateTable('psi_runs').set({ progress: JSON.stringify({ ...progress, inputFingerprint: fingerprint }) }).where('id', '=', runId).execute();
    return { run, collaboration, engine, key: openRunKey(node.masterKey, engine, sealed, trx.tenantId, runId), input, peer: await peerAddressOf(trx, collaboration, run.peer_node_id) };
  });
  if (!setup) return;
  const { run, collaboration, engine, key, input, peer } = setup;
  const transport = httpPsiTransport(node.identity, peer, collaboration.id, runId);
  try {
    await runPsiClient({
      runId,
      collaborationId: collaboration.id,
      suite: collaboration.suite,
      idTypes: run.id_types,
      inputs: input.sets,
      engine,
      key,
      transport,
      sign: (message) => node.identity.sign(message),
      serverPublicKey: peer.publicKey,
      mode: run.mode === 'unbalanced' ? 'unbalanced' : 'balanced',
      maxServerSize: collaboration.policy.maxSetSize,
      expect: { clientLearnsMembers: run.client_learns_members, serverLearnsMembers: run.server_learns_members },
      // Committed before the server hears the outcome: a lost answer to `finish` cannot undo it.
      release: (result) => job.inTenant((trx) => releaseClientResult(trx, node, run.started_by, runId, input.consented, { ...result, traffic: transport.traffic }, peer.nodeId)),
    });
  } finally {
    key.destroy();
  }
}

function inputFingerprint(input: PsiInput): string {
  const hash = createHash('sha256');
  for (const [idType, set] of [...input.sets].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(idType).update(new Uint8Array(set.personIds.buffer, set.personIds.byteOffset, set.personIds.byteLength)).update(set.digests);
  }
  return hash.digest('base64');
}

async function releaseClientResult(
  trx: TenantTransaction,
  node: PsiNode,
  actor: string,
  runId: string,
  consented: number,
  result: PsiClientResult & { traffic: { sent: number; received: number } },
  peerNodeId: string,
): Promise<FinishRunBody> {
  // Revoked or expired while the run went on: nothing is released.
  const run = await requireRun(trx, runId, { forUpdate: true });
  const collaboration = await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date());
  let decision: GuardDecision;
  let stored = 0;
  if (result.serverRelease) {
    // Count only: the server counted and released; this node records that release, spending the same ε.
    decision = await recordPeerRelease(trx, collaboration.id, runId, collaboration.policy, result.serverRelease, peerNodeId);
  } else {
    const matched = result.matched!;
    const byIdType = Object.fromEntries(run.id_types.map((type) => [type, [...matched.values()].filter((t) => t === type).length]));
    decision = await releaseCounts(trx, collaboration.id, runId, collaboration.policy, { total: matched.size, byIdType });
    if (decision.released) {
      const members = await releaseMembers(trx, collaboration.id, runId, collaboration.policy, [...matched]);
      if (members.released) {
        await storeMatches(trx, runId, new Map(members.members));
        await storePayloads(trx, runId, result.payloads);
        stored = members.members.length;
      }
    }
  }
  await recordProcessing(trx, {
    activity: 'psi.run',
    purpose: collaboration.purpose,
    collaboration_id: collaboration.id,
    actor,
    subjects_in: consented,
    subjects_out: stored,
    started_at: run.created_at,
    finished_at: new Date(),
    details: { runId, role: 'client', peer: peerNodeId, decision, countedBy: result.serverRelease ? 'the server' : 'this node', membersStored: stored, serverLearnsMembers: result.view.serverLearnsMembers },
  });
  // Only what the guard released leaves this function: the raw matched counts stay out of the result.
  await trx.updateTable('psi_runs').set({ mode: result.view.mode }).where('id', '=', runId).execute();
  await closeRun(trx, runId, 'finished', { decision, input: result.sent, membersStored: stored, timingsMs: result.timings, bytes: result.traffic }, null);
  return { decision };
}

async function failRun(job: JobContext, node: PsiNode, runId: string, error: Error): Promise<void> {
  const reason = `${(error as { code?: string }).code ?? 'error'}: ${error.message}`.slice(0, 500);
  const run = await job.inTenant(async (trx) => {
    const current = await requireRun(trx, runId);
    if (current.status === 'finished' || current.status === 'failed') return undefined;
    if (error instanceof GuardError) await recordGuardRefusal(trx, current.collaboration_id, runId, error);
    await closeRun(trx, runId, 'failed', null, reason);
    return current;
  });
  if (!run) return;
  // Tell the server; if it cannot be reached its own run stays open until it times out or is failed there.
  try {
    const peer = await job.inTenant(async (trx) => peerAddressOf(trx, await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date(), { allowClosed: true }), run.peer_node_id));
    await httpPsiTransport(node.identity, peer, run.collaboration_id, runId).fail(reason);
  } catch {
    // The local failure is what matters; the server refuses further frames once it learns.
  }
}

