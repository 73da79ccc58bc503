/**
 * The server side of a PSI run (psi-protocol.ts): admitting a run, blinding the node's own
 * consented set, taking the client's frames, serving its own, and finishing. Each step is one tenant
 * transaction, so a crash between steps leaves a run the client can resume (its next frame number is
 * the count of frames stored) or fail.
 */
import { sql } from 'kysely';
import { decodePsiFrame, encodePsiFrame, type PsiFrameIdType, type PsiFrameSuite } from '../../crypto/psi/frame.ts';
import { TruncatedSet, truncate } from '../../crypto/psi/compare.ts';
import { ELEMENT_BYTES, psiDomainSeparationTag, type PsiSuite } from '../../crypto/psi/suites.ts';
import { recordProcessing } from '../audit/processing-records.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { checkArrivedInput, checkDeclaredInput, checkDeclaredSize } from '../guard/admission-rules.ts';
import { admitRun } from '../guard/admit-run.ts';
import { recordPeerRelease } from '../guard/record-peer-release.ts';
import { releaseCounts, type GuardDecision } from '../guard/release-counts.ts';
import { releaseMembers } from '../guard/release-members.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import { candidateCount, collectPsiInput, type PsiInput, type PsiInputSet } from './psi-input.ts';
import { learnsMembers, loadPsiCollaboration, partyOf, type PeerNode } from './psi-collaboration.ts';
import type { PsiNode } from './psi-node.ts';
import type { ClientFetchStream, ClientSendStream, FinishRunBody, ServerRunView, StartRunBody } from './psi-protocol.ts';
import { openRunKey, sealRunKey } from './psi-run-key.ts';
import { FRAME_ELEMENTS, type PsiStream, appendFrame, deleteRunFrames, frameCount, loadFrame, loadStream, packPersons, storeFrames } from './psi-run-frames.ts';
import { findRun, requireRun, type PsiRun } from './psi-runs.ts';
import { PsiRunError } from './psi-run-error.ts';
import { elementBytesOf, frameHeader, frameKindOf } from './psi-frames.ts';
import { sortElements } from './sort-elements.ts';
import { requireRunnableCollaboration } from '../collaborations/require-runnable-collaboration.ts';
import { checkReturnedSet, countReturned, firstPerPerson, matchedServerPersons, publishSetSum } from './server-count.ts';
import { blindWithEpoch, currentEpoch } from './key-epochs.ts';
import { membershipSet, PAYLOAD_ENTRY_BYTES, payloadEntries } from './oprf-sets.ts';
import { tagPayloads } from './tag-payloads.ts';
import { storeMatches } from './psi-matches.ts';

export const PREPARE_PSI_SERVER_JOB = 'psi.prepare-server';
/** Named here (not imported from expire-psi-run-job.ts, which imports this module) to keep imports one-way. */
export const EXPIRE_PSI_RUN_JOB = 'psi.expire-run';
export const RUN_LIFETIME_MS = 6 * 60 * 60_000;

/** Step 1: the guard admits the run; the blinding of the node's own set is queued. */
export async function acceptPsiRun(trx: TenantTransaction, node: PsiNode, peer: PeerNode, body: StartRunBody): Promise<ServerRunView> {
  const existing = await findRun(trx, body.runId);
  if (existing) {
    if (existing.role !== 'server' || existing.peer_node_id !== peer.nodeId || existing.collaboration_id !== body.collaborationId) {
      throw new PsiRunError('ACCORD_ERR_PSI_RUN_CONFLICT', `run ${body.runId} already exists`);
    }
    return serverRunView(trx, existing);
  }
  const collaboration = await loadPsiCollaboration(trx, node.identity.nodeId, body.collaborationId, new Date());
  const client = partyOf(collaboration, peer);
  const me = collaboration.self;
  const unknown = body.idTypes.filter((type) => !collaboration.idTypes.includes(type));
  if (unknown.length > 0) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `identifier types ${unknown.join(', ')} are not in the collaboration`);
  const ordered = collaboration.idTypes.filter((type) => body.idTypes.includes(type));
  // The brand enriched with the partner's tags gets them as payloads; otherwise the client chooses.
  const enrichment = collaboration.outputs.tagEnrichment && client.role === 'brand' && learnsMembers(collaboration.outputs, client.role);
  const mode = enrichment ? 'payload' : body.mode;
  if (mode !== 'balanced' && collaboration.suite !== 'ristretto255') {
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `${mode} runs need the ristretto255 suite (X25519 cannot unblind); the collaboration uses ${collaboration.suite}`);
  }
  // The epoch key answers every run the same way: a count-only client could test one new person per run.
  if (mode === 'unbalanced' && !learnsMembers(collaboration.outputs, client.role)) {
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', 'unbalanced runs need terms that give the client its matched members; a count-only client runs balanced');
  }
  if (!learnsMembers(collaboration.outputs, client.role) && collaboration.suite !== 'ristretto255') {
    throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `a client that may learn only the count needs the ristretto255 suite: the server checks the set it returns by a group sum, which X25519 cannot compute; the collaboration uses ${collaboration.suite}`);
  }
  for (const type of ordered) checkDeclaredInput(body.declared[type] ?? 0, collaboration.policy, `the ${type} set`);
  const peerDeclared = ordered.reduce((sum, type) => sum + (body.declared[type] ?? 0), 0);
  const ownDeclared = await candidateCount(trx, collaboration.serverSegmentId);
  await admitRun(trx, collaboration.id, body.runId, collaboration.policy, { own: ownDeclared, peer: peerDeclared });
  await trx
    .insertInto('psi_runs')
    .values({
      tenant_id: trx.tenantId,
      id: body.runId,
      collaboration_id: collaboration.id,
      role: 'server',
      peer_node_id: peer.nodeId,
      suite: collaboration.suite,
      mode,
      id_types: ordered,
      segment_id: collaboration.serverSegmentId,
      status: 'preparing',
      client_learns_members: learnsMembers(collaboration.outputs, client.role),
      // In the OPRF modes nothing comes back to the server to compare.
      server_learns_members: mode === 'balanced' && learnsMembers(collaboration.outputs, me.role),
      declared: JSON.stringify({ peer: Object.fromEntries(ordered.map((type) => [type, body.declared[type] ?? 0])), own: ownDeclared }),
      started_by: `node:${peer.nodeId}`,
    })
    .execute();
  await enqueueJob(trx, PREPARE_PSI_SERVER_JOB, { run: body.runId }, { maxAttempts: 3 });
  await enqueueJob(trx, EXPIRE_PSI_RUN_JOB, { run: body.runId }, { delayMs: RUN_LIFETIME_MS });
  return serverRunView(trx, await requireRun(trx, body.runId));
}

/**
 * The queued half of step 1: the node's consented set, blinded once and sorted, stored as frames.
 * Balanced and payload runs blind between two transactions (gathering the input, storing the
 * frames), so the minutes a large set takes to blind hold no transaction: on embedded PGlite an
 * open transaction holds the node's only session, and every other request would wait for it. A
 * crash in between leaves the run preparing with nothing stored, and the job's next attempt gathers
 * again (its own evaluation, on record). Unbalanced runs read and extend the epoch's cache with the
 * set, so they stay one transaction.
 */
export async function prepareServerSet(inTenant: <T>(work: (trx: TenantTransaction) => Promise<T>) => Promise<T>, node: PsiNode, runId: string): Promise<void> {
  const gathered = await inTenant(async (trx) => {
    const run = await requireRun(trx, runId);
    if (run.status !== 'preparing') return undefined;
    const collaboration = await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date());
    const engine = await node.engines.engine(collaboration.suite);
    const input = await collectPsiInput(trx, node.gate, node.identifierKeys, {
      segmentId: run.segment_id,
      idTypes: run.id_types,
      purpose: collaboration.purpose,
      recipients: collaboration.recipients,
      regime: collaboration.regime,
      collaborationId: collaboration.id,
      actor: run.started_by,
    });
    if (run.mode !== 'unbalanced') return { run, collaboration, engine, input };
    await prepareWithEpoch(trx, node, run, collaboration, engine, input);
    return undefined;
  });
  if (!gathered) return;
  const { run, collaboration, engine, input } = gathered;
  const key = engine.newKey();
  const context = { collaborationId: collaboration.id, runId };
  try {
    const blinded = new Map<string, { set: PsiInputSet; blinded: Uint8Array }>();
    for (const idType of run.id_types) {
      // Where this node counts, one element per person and type bounds what one person moves.
      const set = countedHere(run) ? firstPerPerson(input.sets.get(idType)!) : input.sets.get(idType)!;
      blinded.set(idType, { set, blinded: await engine.hashAndBlind(set.digests, psiDomainSeparationTag(collaboration.suite, collaboration.id, idType), key) });
    }
    await inTenant(async (trx) => {
      // The run may have failed or expired while the set was blinded.
      if ((await requireRun(trx, runId, { forUpdate: true })).status !== 'preparing') return;
      for (const [idType, { set, blinded: elements }] of blinded) {
        if (run.mode === 'payload') {
          const payloads = await tagPayloads(trx, set.personIds, collaboration.outputs.tagEnrichment?.tags ?? []);
          await storeFrames(trx, runId, idType, 'server-payload', payloadEntries(elements, payloads, context), PAYLOAD_ENTRY_BYTES);
          continue;
        }
        const { sorted, order } = sortElements(elements, ELEMENT_BYTES);
        await storeFrames(trx, runId, idType, 'server-blinded', sorted, ELEMENT_BYTES);
        await storeFrames(trx, runId, idType, 'server-persons', packPersons(Float64Array.from(order, (i) => set.personIds[i]!)), 8);
        if (countedHere(run)) await publishSetSum(trx, node.masterKey, engine, runId, idType, sorted);
      }
      await markReady(trx, node, engine, key, runId, input.consented, context.runId, 0);
    });
  } finally {
    key.destroy();
  }
}

/** An unbalanced run's set, blinded with the epoch's key (cached per element), in the caller's transaction. */
async function prepareWithEpoch(trx: TenantTransaction, node: PsiNode, run: PsiRun, collaboration: Awaited<ReturnType<typeof loadPsiCollaboration>>, engine: Awaited<ReturnType<PsiNode['engines']['engine']>>, input: PsiInput): Promise<void> {
  const epoch = await currentEpoch(trx, node.masterKey, engine, collaboration.id, run.peer_node_id);
  const context = { collaborationId: collaboration.id, runId: epoch.id };
  const clientSize = Object.values(run.declared.peer ?? {}).reduce((sum, n) => sum + n, 0);
  let reused = 0;
  try {
    for (const idType of run.id_types) {
      const set = countedHere(run) ? firstPerPerson(input.sets.get(idType)!) : input.sets.get(idType)!;
      const cached = await blindWithEpoch(trx, node.masterKey, engine, epoch, collaboration.id, idType, set.digests);
      reused += cached.reused;
      await storeFrames(trx, run.id, idType, 'server-gcs', membershipSet(cached.blinded, context, clientSize), 1);
    }
    await markReady(trx, node, engine, epoch.key, run.id, input.consented, context.runId, reused);
  } finally {
    epoch.key.destroy();
  }
}

async function markReady(trx: TenantTransaction, node: PsiNode, engine: Awaited<ReturnType<PsiNode['engines']['engine']>>, key: Parameters<typeof sealRunKey>[2], runId: string, consented: number, tagContext: string, reused: number): Promise<void> {
  await trx
    .updateTable('psi_runs')
    .set({ status: 'ready', key_sealed: sealRunKey(node.masterKey, engine, key, trx.tenantId, runId), progress: JSON.stringify({ consented, tagContext, reusedFromEpoch: reused }) })
    .where('id', '=', runId)
    .execute();
}

async function openRun(trx: TenantTransaction, runId: string, peer: PeerNode): Promise<PsiRun> {
  const run = await requireRun(trx, runId, { forUpdate: true });
  if (run.role !== 'server' || run.peer_node_id !== peer.nodeId) throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `no run ${runId} with this node`);
  if (run.status === 'failed' || run.status === 'finished') throw new PsiRunError('ACCORD_ERR_PSI_RUN_CLOSED', `run ${runId} is ${run.status}`);
  if (run.status === 'preparing') throw new PsiRunError('ACCORD_ERR_PSI_RUN_NOT_READY', `run ${runId} is still preparing`);
  // A revocation or expiry stops a run mid-way, not only the next one.
  await requireRunnableCollaboration(trx, run.collaboration_id, new Date());
  return run;
}

function checkIdType(run: PsiRun, idType: string): void {
  if (!run.id_types.includes(idType)) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `run ${run.id} does not match on ${idType}`);
}

/** Steps 2 and 3, client → server: a frame of the client's set, of a returned server set, or the returned set's sum. */
export async function receiveClientFrame(trx: TenantTransaction, node: PsiNode, peer: PeerNode, runId: string, idType: string, stream: ClientSendStream, bytes: Uint8Array): Promise<ServerRunView> {
  const run = await openRun(trx, runId, peer);
  checkIdType(run, idType);
  if (!sendStreamsOf(run).includes(stream)) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `this run takes no ${stream} stream (${describeRun(run)})`);
  const target = stream === 'client-blinded' ? clientDoubleStream(run) : stream;
  const sequence = await frameCount(trx, runId, idType, target);
  const { header, body } = decodePsiFrame(bytes, {
    publicKey: peer.publicKey,
    collaborationId: run.collaboration_id,
    runId,
    sequence,
    kind: frameKindOf(stream),
    idType: idType as PsiFrameIdType,
    suite: run.suite as PsiFrameSuite,
    elementBytes: elementBytesOf(stream),
    maxCount: stream === 'server-double-sum' ? 1 : FRAME_ELEMENTS,
  });
  const progress = progressOf(run, idType);
  const engine = await node.engines.engine(run.suite as PsiSuite);
  if (stream === 'client-blinded') {
    if (progress.clientComplete) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `the client set for ${idType} is already complete`);
    // Counted as it arrives, per type: never more than declared.
    const declared = run.declared.peer?.[idType] ?? 0;
    checkDeclaredSize(declared, (await streamElements(trx, runId, target, idType)) + header.count, 'peer');
    const key = openRunKey(node.masterKey, engine, run.key_sealed!, trx.tenantId, runId);
    try {
      const doubled = await engine.reblind(body, key);
      // The OPRF modes hand H(c)^ab back whole: the client unblinds it to H(c)^b.
      await appendFrame(trx, runId, idType, target, sequence, run.mode === 'balanced' ? truncate(doubled, ELEMENT_BYTES) : doubled);
    } finally {
      key.destroy();
    }
    if (header.last) {
      const whole = await loadStream(trx, runId, idType, target);
      const arrived = whole.length / elementBytesOf(target);
      const distinct = TruncatedSet.from(run.mode === 'balanced' ? whole : truncate(whole, ELEMENT_BYTES)).size;
      const { policy } = await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date());
      checkArrivedInput(declared, arrived, distinct, policy, `the ${idType} set`);
      await setProgress(trx, run, idType, { ...progress, clientComplete: true });
    }
  } else if (stream === 'server-double-sum') {
    if (!progress.serverDoubleComplete) throw new PsiRunError('ACCORD_ERR_PSI_RUN_NOT_READY', `the returned ${idType} set is not complete`);
    await checkReturnedSet(trx, node.masterKey, engine, run, idType, body);
    await appendFrame(trx, runId, idType, target, sequence, body);
    await setProgress(trx, run, idType, { ...progress, returnChecked: true });
  } else {
    // The server's set comes back once, and never longer than it is.
    if (progress.serverDoubleComplete) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `the returned server set for ${idType} is already complete`);
    const own = await streamElements(trx, runId, 'server-persons', idType);
    const returned = (await streamElements(trx, runId, target, idType)) + header.count;
    if (returned > own || (header.last && returned < own && stream === 'server-double-full')) {
      throw new PsiRunError(stream === 'server-double-full' ? 'ACCORD_ERR_PSI_RETURN_REFUSED' : 'ACCORD_ERR_PSI_RUN_INVALID', `${returned} elements returned for a server set of ${own} (${idType})`);
    }
    await appendFrame(trx, runId, idType, target, sequence, body);
    if (header.last) await setProgress(trx, run, idType, { ...progress, serverDoubleComplete: true });
  }
  await trx.updateTable('psi_runs').set({ status: 'running' }).where('id', '=', runId).where('status', '=', 'ready').execute();
  return serverRunView(trx, await requireRun(trx, runId));
}

/** Steps 2 and 3, client ← server: one signed frame of the server's set (or its sum), or of the comparison the client may make. */
export async function serveFrame(trx: TenantTransaction, node: PsiNode, peer: PeerNode, runId: string, idType: string, stream: ClientFetchStream, seq: number): Promise<Uint8Array> {
  const run = await openRun(trx, runId, peer);
  checkIdType(run, idType);
  if (!fetchStreamsOf(run).includes(stream)) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `this run serves no ${stream} stream (${describeRun(run)})`);
  // Nothing the client could compare with is served until every type's set has arrived whole.
  if (comparisonStreams.includes(stream)) {
    const incomplete = run.id_types.filter((type) => !progressOf(run, type).clientComplete);
    if (incomplete.length > 0) throw new PsiRunError('ACCORD_ERR_PSI_RUN_NOT_READY', `the client set for ${incomplete.join(', ')} is not complete`);
  }
  const total = await frameCount(trx, runId, idType, stream);
  const body = await loadFrame(trx, runId, idType, stream, seq);
  if (!body) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', `there is no frame ${seq} of ${stream}`);
  return encodePsiFrame(frameHeader(run, idType, stream, seq, seq === total - 1), body, (message) => node.identity.sign(message));
}

/**
 * Step 4: where this node counts, it checks that every returned set passed, counts and releases the
 * count through its own guard (the client is told that release only); where the client counted, the
 * client's release is recorded as the client's. Then the members this node may learn, the record,
 * erasure. Asking again after the run finished answers with the same view.
 */
export async function finishServerRun(trx: TenantTransaction, node: PsiNode, peer: PeerNode, runId: string, report: FinishRunBody): Promise<ServerRunView> {
  const finished = await findRun(trx, runId);
  if (finished?.status === 'finished' && finished.role === 'server' && finished.peer_node_id === peer.nodeId) return serverRunView(trx, finished);
  const run = await openRun(trx, runId, peer);
  const collaboration = await loadPsiCollaboration(trx, node.identity.nodeId, run.collaboration_id, new Date());
  let decision: GuardDecision;
  let matchedPersons: Map<number, string> | undefined;
  if (countedHere(run)) {
    const unchecked = run.id_types.filter((type) => !progressOf(run, type).clientComplete || !progressOf(run, type).returnChecked);
    if (unchecked.length > 0) throw new PsiRunError('ACCORD_ERR_PSI_RUN_NOT_READY', `the sets for ${unchecked.join(', ')} are not all returned and checked`);
    const counted = await countReturned(trx, run);
    matchedPersons = counted.matched;
    // One element per person and type: one of this node's people moves the count by at most the number of types.
    decision = await releaseCounts(trx, collaboration.id, runId, collaboration.policy, { total: counted.total, sensitivity: run.id_types.length }, { onlyOutput: true });
  } else {
    if (!report.decision) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', "the client computed the count: its finish must say what its guard decided");
    if (run.server_learns_members) matchedPersons = await matchedServerPersons(trx, run, 'server-double');
    decision = await recordPeerRelease(trx, collaboration.id, runId, collaboration.policy, report.decision, peer.nodeId);
  }
  const members = matchedPersons ? await releaseMembers(trx, collaboration.id, runId, collaboration.policy, [...matchedPersons]) : undefined;
  const released = members?.released === true;
  if (released) await storeMatches(trx, runId, matchedPersons!);
  await recordProcessing(trx, {
    activity: 'psi.run',
    purpose: collaboration.purpose,
    collaboration_id: collaboration.id,
    actor: run.started_by,
    subjects_in: Number((run.progress as { consented?: number }).consented ?? 0),
    subjects_out: released ? matchedPersons!.size : 0,
    started_at: run.created_at,
    finished_at: new Date(),
    details: { runId, role: 'server', peer: peer.nodeId, decision, countedBy: countedHere(run) ? 'this node' : 'the client', membersReleasedTo: released ? 'this node' : null, clientLearnsMembers: run.client_learns_members },
  });
  await closeRun(trx, runId, 'finished', { decision, membersStored: released ? matchedPersons!.size : 0 }, null);
  return serverRunView(trx, await requireRun(trx, runId));
}

export async function failServerRun(trx: TenantTransaction, peer: PeerNode, runId: string, reason: string): Promise<void> {
  const run = await requireRun(trx, runId, { forUpdate: true });
  if (run.role !== 'server' || run.peer_node_id !== peer.nodeId) throw new PsiRunError('ACCORD_ERR_PSI_RUN_UNKNOWN', `no run ${runId} with this node`);
  if (run.status === 'finished' || run.status === 'failed') return;
  await closeRun(trx, runId, 'failed', null, `the client failed the run: ${reason}`);
}

/** Ends a run on this node: status, result, and the key and intermediate sets erased. */
export async function closeRun(trx: TenantTransaction, runId: string, status: 'finished' | 'failed', result: Record<string, unknown> | null, error: string | null): Promise<void> {
  await deleteRunFrames(trx, runId);
  await trx
    .updateTable('psi_runs')
    .set({ status, result: result === null ? null : JSON.stringify(result), error, key_sealed: null, finished_at: new Date() })
    .where('id', '=', runId)
    .execute();
}

/** Where the server keeps the client's doubly blinded elements, by mode. */
const clientDoubleStream = (run: PsiRun) => (run.mode === 'balanced' ? 'client-double' : 'client-double-full');

/** What the server publishes of its own set, by mode. */
const serverSetStream = (run: PsiRun) => ({ balanced: 'server-blinded', unbalanced: 'server-gcs', payload: 'server-payload' } as const)[run.mode];

/** Whether this node (the server) computes and releases the count: whenever the client may learn only the count. */
const countedHere = (run: PsiRun): boolean => !run.client_learns_members;

const describeRun = (run: PsiRun) => `${run.mode}, ${countedHere(run) ? 'counted by the server' : 'the client learns its matched members'}`;

/** What the client may fetch, by mode and by who counts. */
function fetchStreamsOf(run: PsiRun): readonly ClientFetchStream[] {
  if (run.mode === 'unbalanced') return ['client-double-full', 'server-gcs'];
  if (run.mode === 'payload') return ['client-double-full', 'server-payload'];
  return countedHere(run) ? ['server-blinded', 'server-sum'] : ['server-blinded', 'client-double'];
}

/** What the client may send, by who counts and who may learn members. */
function sendStreamsOf(run: PsiRun): readonly ClientSendStream[] {
  if (countedHere(run)) return ['client-blinded', 'server-double-full', 'server-double-sum'];
  return run.server_learns_members && run.mode === 'balanced' ? ['client-blinded', 'server-double'] : ['client-blinded'];
}

/** The streams a client compares its own elements with: served only once every type's set arrived whole. */
const comparisonStreams: readonly ClientFetchStream[] = ['client-double', 'client-double-full', 'server-gcs', 'server-payload'];

/** Elements a stream holds for one identifier type. */
async function streamElements(trx: TenantTransaction, runId: string, stream: PsiStream, idType: string): Promise<number> {
  const row = await trx
    .selectFrom('psi_run_frames')
    .select(sql<string>`coalesce(sum(length(body)), 0)`.as('bytes'))
    .where('run_id', '=', runId)
    .where('stream', '=', stream)
    .where('id_type', '=', idType)
    .executeTakeFirstOrThrow();
  return Number(row.bytes) / (stream === 'server-persons' ? 8 : elementBytesOf(stream as ClientFetchStream | ClientSendStream));
}

interface TypeProgress {
  clientComplete: boolean;
  serverDoubleComplete?: boolean;
  returnChecked?: boolean;
}

const progressOf = (run: PsiRun, idType: string): TypeProgress => ((run.progress as { types?: Record<string, TypeProgress> }).types?.[idType] ?? { clientComplete: false });

async function setProgress(trx: TenantTransaction, run: PsiRun, idType: string, value: TypeProgress): Promise<void> {
  const progress = run.progress as { types?: Record<string, TypeProgress> };
  await trx
    .updateTable('psi_runs')
    .set({ progress: JSON.stringify({ ...progress, types: { ...progress.types, [idType]: value } }) })
    .where('id', '=', run.id)
    .execute();
}

export async function serverRunView(trx: TenantTransaction, run: PsiRun): Promise<ServerRunView> {
  const types: ServerRunView['types'] = {};
  for (const idType of run.id_types) {
    types[idType] = {
      serverFrames: await frameCount(trx, run.id, idType, serverSetStream(run)),
      clientFramesReceived: await frameCount(trx, run.id, idType, clientDoubleStream(run)),
      clientComplete: progressOf(run, idType).clientComplete,
      serverDoubleReceived: await frameCount(trx, run.id, idType, countedHere(run) ? 'server-double-full' : 'server-double'),
      returnChecked: progressOf(run, idType).returnChecked === true,
    };
  }
  return {
    runId: run.id,
    status: run.status,
    mode: run.mode,
    tagContext: (run.progress as { tagContext?: string }).tagContext ?? run.id,
    // The peer sees why in codes only: the details (a person id in a payload error, sizes) stay here.
    error: run.error === null ? null : (/^ACCORD_ERR_[A-Z_]+/.exec(run.error)?.[0] ?? 'the server failed the run'),
    clientLearnsMembers: run.client_learns_members,
    serverLearnsMembers: run.server_learns_members,
    types,
    release: run.status === 'finished' && countedHere(run) ? ((run.result as { decision: GuardDecision }).decision) : null,
  };
}
