/**
 * The client side of a PSI run (psi-protocol.ts), over any transport: a node's job talks to the
 * partner node over signed HTTP, `accord psi join` does the same from a file. Resumable: what the
 * server already holds (its view) decides where each stream picks up, and everything the client
 * sends is deterministic for its key (its sets, and the returned server set, sorted), so a resumed
 * run sends what the interrupted one would have. The client sends every identifier type's set in
 * full first; then, when it may learn members, it matches and attributes each person to the first
 * type in priority order it matched on, and its guard releases the count; when it may learn only the
 * count, it returns the server's set re-blinded and is told the count the server's guard released.
 */
import { randomBytes } from 'node:crypto';
import { decodePsiFrame, encodePsiFrame, type PsiFrameIdType, type PsiFrameSuite } from '../../crypto/psi/frame.ts';
import { TruncatedSet, matchIndices, truncate } from '../../crypto/psi/compare.ts';
import type { PsiEngine, PsiKey } from '../../crypto/psi/psi-engine.ts';
import { ELEMENT_BYTES, psiDomainSeparationTag, type PsiSuite } from '../../crypto/psi/suites.ts';
import { elementBytesOf, frameHeader, frameKindOf } from './psi-frames.ts';
import type { GuardDecision } from '../guard/release-counts.ts';
import type { PsiInputSet } from './psi-input.ts';
import { COMPARE_BYTES, type ClientFetchStream, type ClientSendStream, type FinishRunBody, type ServerRunView, type StartRunBody } from './psi-protocol.ts';
import { elementsPerFrame, FRAME_ELEMENTS } from './psi-run-frames.ts';
import { PAYLOAD_TAG_BYTES } from '../../crypto/psi/payload-seal.ts';
import { PsiRunError } from './psi-run-error.ts';
import { sortElements } from './sort-elements.ts';
import { membershipMatches, openPayloads } from './oprf-sets.ts';

export interface PsiServerTransport {
  /** Bytes of frames sent and received so far. */
  readonly traffic: { sent: number; received: number };
  start(body: StartRunBody): Promise<ServerRunView>;
  view(): Promise<ServerRunView>;
  send(idType: string, stream: ClientSendStream, frame: Uint8Array): Promise<void>;
  fetch(idType: string, stream: ClientFetchStream, seq: number): Promise<Uint8Array>;
  finish(body: FinishRunBody): Promise<ServerRunView>;
  fail(reason: string): Promise<void>;
}

export interface PsiClientRun {
  readonly runId: string;
  readonly collaborationId: string;
  readonly suite: PsiSuite;
  /** In priority order. */
  readonly idTypes: readonly string[];
  readonly inputs: ReadonlyMap<string, PsiInputSet>;
  readonly engine: PsiEngine;
  readonly key: PsiKey;
  readonly transport: PsiServerTransport;
  readonly sign: (message: Uint8Array) => Uint8Array;
  readonly serverPublicKey: Uint8Array;
  readonly onProgress?: (progress: PsiClientProgress) => void;
  /** How long to wait between looks while the server prepares its set. */
  readonly pollMs?: number;
  /** unbalanced: ask the server to answer from its set cached per key epoch. */
  readonly mode?: 'balanced' | 'unbalanced';
  /** The largest server set the client accepts: bounds what it fetches and decodes. */
  readonly maxServerSize: number;
  /** What each side may learn, from the client's own reading of the terms: a server claiming otherwise is refused. */
  readonly expect: { readonly clientLearnsMembers: boolean; readonly serverLearnsMembers: boolean };
  /**
   * The client's own release. When it may learn members, this runs before the server hears anything:
   * its guard decides what leaves, it stores what it may keep, and it returns what the server is told
   * (never a raw count). When it may learn only the count, this runs after the server released it
   * (`result.serverRelease`), to record that release; the server is told nothing then.
   */
  readonly release: (result: PsiClientResult) => Promise<FinishRunBody>;
}

export interface PsiClientProgress {
  readonly idType: string;
  readonly phase: 'waiting' | 'sending' | 'fetching' | 'returning' | 'done';
  readonly done: number;
  readonly total: number;
}

export interface PsiClientResult {
  readonly view: ServerRunView;
  /** Per identifier type run: the elements sent. */
  readonly sent: Record<string, number>;
  /** Matched people (input person ids) with the first type in priority order they matched on; undefined when only the count may be learnt. */
  readonly matched: Map<number, string> | undefined;
  /** PSI with payload: what each matched person's payload opened to (JSON bytes). */
  readonly payloads: Map<number, Uint8Array>;
  /** When only the count may be learnt: what the server's guard released of it, the only count the client hears. */
  readonly serverRelease: GuardDecision | undefined;
  /** Milliseconds per phase, summed over identifier types: waiting for the server's set, blinding, sending, fetching and re-blinding, matching, returning. */
  readonly timings: Record<'prepare' | 'blind' | 'send' | 'fetch' | 'match' | 'return' | 'finish', number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPsiClient(run: PsiClientRun): Promise<PsiClientResult> {
  const timings: PsiClientResult['timings'] = { prepare: 0, blind: 0, send: 0, fetch: 0, match: 0, return: 0, finish: 0 };
  let mark = performance.now();
  const lap = (phase: keyof PsiClientResult['timings']) => {
    const now = performance.now();
    timings[phase] += Math.round(now - mark);
    mark = now;
  };
  // Types with no element are left out; in count-only runs each type is sent aligned by person.
  const idTypes = run.idTypes.filter((type) => (run.inputs.get(type)?.personIds.length ?? 0) > 0);
  if (idTypes.length === 0) throw new PsiRunError('ACCORD_ERR_PSI_RUN_INVALID', 'no input to match on any identifier type of the run');
  const sets = run.expect.clientLearnsMembers ? new Map(idTypes.map((type) => [type, run.inputs.get(type)!])) : alignByPerson(run.inputs, idTypes);
  // Declared as sent: the server refuses a set that arrives larger, or smaller beyond the terms' tolerance.
  const declared = Object.fromEntries(idTypes.map((type) => [type, sets.get(type)!.personIds.length]));
  let view = await run.transport.start({ runId: run.runId, collaborationId: run.collaborationId, idTypes, declared, mode: run.mode ?? 'balanced' });
  // The blinding depends on nothing the server says: it runs while the server prepares.
  const blinding = new Map(idTypes.map((type) => [type, run.engine.hashAndBlind(sets.get(type)!.digests, psiDomainSeparationTag(run.suite, run.collaborationId, type), run.key)]));
  for (const pending of blinding.values()) pending.catch(() => undefined);
  while (view.status === 'preparing') {
    run.onProgress?.({ idType: idTypes[0]!, phase: 'waiting', done: 0, total: 0 });
    await sleep(run.pollMs ?? 250);
    view = await run.transport.view();
  }
  if (view.status === 'failed') throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', view.error ?? 'the server failed the run');
  if (view.clientLearnsMembers !== run.expect.clientLearnsMembers || (view.serverLearnsMembers && !run.expect.serverLearnsMembers)) {
    throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', 'the server reads the terms differently: who learns the matched members does not agree with ours');
  }
  lap('prepare');
  const sent = Object.fromEntries(idTypes.map((type) => [type, sets.get(type)!.personIds.length]));
  if (view.status === 'finished' && view.release) {
    // A retry after the server already released the count: only the recording is left to do.
    const result = { view, sent, matched: undefined, payloads: new Map(), serverRelease: view.release, timings };
    await run.release(result);
    return result;
  }
  const header = { collaboration_id: run.collaborationId, id: run.runId, suite: run.suite };
  const progress = (idType: string) => (phase: PsiClientProgress['phase'], done: number, total: number) => run.onProgress?.({ idType, phase, done, total });
  const send = async (idType: string, stream: ClientSendStream, packed: Uint8Array, from: number, phase: PsiClientProgress['phase']) => {
    const elementBytes = elementBytesOf(stream);
    const frames = Math.max(1, Math.ceil(packed.length / elementBytes / FRAME_ELEMENTS));
    for (let seq = from; seq < frames; seq++) {
      const body = packed.subarray(seq * FRAME_ELEMENTS * elementBytes, (seq + 1) * FRAME_ELEMENTS * elementBytes);
      await run.transport.send(idType, stream, encodePsiFrame(frameHeader(header, idType, stream, seq, seq === frames - 1), body, run.sign));
      progress(idType)(phase, seq + 1, frames);
    }
  };

  // Every type's set goes first, whole: the server serves nothing to compare with before.
  const order = new Map<string, Uint32Array>();
  for (const idType of idTypes) {
    const blinded = await blinding.get(idType)!;
    // Sorted when the client may learn members (resumable, unlinkable); in person order when aligned.
    const { sorted, order: sentOrder } = run.expect.clientLearnsMembers ? sortElements(blinded, ELEMENT_BYTES) : { sorted: blinded, order: Uint32Array.from(sets.get(idType)!.personIds, (_, i) => i) };
    order.set(idType, sentOrder);
    lap('blind');
    if (!view.types[idType]!.clientComplete) await send(idType, 'client-blinded', sorted, view.types[idType]!.clientFramesReceived, 'sending');
    lap('send');
  }

  const matched = view.clientLearnsMembers ? new Map<number, string>() : undefined;
  const payloads = new Map<number, Uint8Array>();
  const context = { collaborationId: run.collaborationId, runId: view.tagContext };
  view = await run.transport.view();
  for (const idType of idTypes) {
    const input = sets.get(idType)!;
    const fetched = (stream: ClientFetchStream, transform: (body: Uint8Array) => Promise<Uint8Array> = async (body) => body) => fetchStream(run, idType, stream, transform, progress(idType));
    if (!matched) {
      // Count only: the server's set back, re-blinded, in the server's order when it may learn its
      // matched people and in sorted order otherwise, with the sum that proves it whole.
      const serverDouble = await fetched('server-blinded', (body) => run.engine.reblind(body, run.key));
      const w = await fetched('server-sum');
      lap('fetch');
      const returned = view.serverLearnsMembers ? serverDouble : sortElements(serverDouble, ELEMENT_BYTES).sorted;
      const types = view.types[idType]!;
      if (!types.returnChecked) {
        await send(idType, 'server-double-full', returned, types.serverDoubleReceived, 'returning');
        await send(idType, 'server-double-sum', w.length === 0 ? w : await run.engine.reblind(w, run.key), 0, 'returning');
      }
      lap('return');
      progress(idType)('done', 1, 1);
      continue;
    }
    let hits: Uint32Array;
    let serverDouble: Uint8Array | undefined;
    const opened = new Map<number, Uint8Array>();
    if (view.mode === 'balanced') {
      serverDouble = await fetched('server-blinded', async (body) => truncate(await run.engine.reblind(body, run.key), ELEMENT_BYTES));
      const clientDouble = await fetched('client-double');
      checkReturned(clientDouble.length / COMPARE_BYTES, input.personIds.length, idType);
      lap('fetch');
      hits = matchIndices(clientDouble, TruncatedSet.from(serverDouble));
    } else {
      // OPRF: unblind H(c)^ab to H(c)^b, then look its tags up in what the server published.
      const unblinded = await fetched('client-double-full', (body) => run.engine.unblind(body, run.key));
      checkReturned(unblinded.length / ELEMENT_BYTES, input.personIds.length, idType);
      if (view.mode === 'unbalanced') {
        const set = await fetched('server-gcs');
        lap('fetch');
        hits = membershipMatches(unblinded, context, set, run.maxServerSize);
      } else {
        const entries = await fetched('server-payload');
        lap('fetch');
        const found = openPayloads(unblinded, context, entries);
        for (const { index, payload } of found) opened.set(index, payload);
        hits = Uint32Array.from(found, (f) => f.index);
      }
    }
    for (const index of hits) {
      const person = input.personIds[order.get(idType)![index]!]!;
      if (matched.has(person)) continue;
      matched.set(person, idType);
      const payload = opened.get(index);
      if (payload) payloads.set(person, payload);
    }
    lap('match');
    if (view.serverLearnsMembers && serverDouble) await send(idType, 'server-double', serverDouble, view.types[idType]!.serverDoubleReceived, 'returning');
    lap('return');
    progress(idType)('done', 1, 1);
  }
  if (matched) {
    const result = { view, sent, matched, payloads, serverRelease: undefined, timings };
    await run.transport.finish(await run.release(result));
    lap('finish');
    return result;
  }
  view = await run.transport.finish({ decision: null });
  if (!view.release) throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', 'the server finished the run without saying what its guard released');
  lap('finish');
  const result = { view, sent, matched, payloads, serverRelease: view.release, timings };
  await run.release(result);
  return result;
}

function checkReturned(returned: number, sent: number, idType: string): void {
  if (returned !== sent) throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', `the server returned ${returned} of ${sent} elements for ${idType}`);
}

/**
 * Count only: every type's set lists the same people in the same order, with a random digest
 * (which matches nothing) where a person has no identifier of that type, so the server can count
 * each person once however many types they matched on. The server learns which of the client's
 * blinded elements belong together and which type combination matched at each position, not who
 * they are; the client learns nothing per position.
 */
function alignByPerson(inputs: ReadonlyMap<string, PsiInputSet>, idTypes: readonly string[]): Map<string, PsiInputSet> {
  const people = [...new Set(idTypes.flatMap((type) => [...(inputs.get(type)?.personIds ?? [])]))].sort((a, b) => a - b);
  const position = new Map(people.map((person, i) => [person, i]));
  const sets = new Map<string, PsiInputSet>();
  for (const idType of idTypes) {
    const input = inputs.get(idType);
    const digests = new Uint8Array(randomBytes(people.length * ELEMENT_BYTES));
    const filled = new Uint8Array(people.length);
    for (let i = 0; i < (input?.personIds.length ?? 0); i++) {
      const at = position.get(input!.personIds[i]!)!;
      if (filled[at]) continue;
      filled[at] = 1;
      digests.set(input!.digests.subarray(i * ELEMENT_BYTES, (i + 1) * ELEMENT_BYTES), at * ELEMENT_BYTES);
    }
    sets.set(idType, { idType, personIds: Float64Array.from(people), digests });
  }
  return sets;
}

async function fetchStream(
  run: PsiClientRun,
  idType: string,
  stream: ClientFetchStream,
  transform: (body: Uint8Array) => Promise<Uint8Array>,
  progress: (phase: PsiClientProgress['phase'], done: number, total: number) => void,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  // A server cannot make the client fetch more than a set of the largest size the client accepts.
  const elementBytes = elementBytesOf(stream);
  const maxFrames = Math.ceil((run.maxServerSize * Math.max(elementBytes, PAYLOAD_TAG_BYTES)) / (elementsPerFrame(elementBytes) * elementBytes)) + 1;
  // One frame is fetched ahead while the last one is re-blinded.
  let next = run.transport.fetch(idType, stream, 0);
  for (let seq = 0; ; seq++) {
    if (seq >= maxFrames) throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', `the server's ${stream} stream is longer than a set of ${run.maxServerSize} allows`);
    const { header, body } = decodePsiFrame(await next, {
      publicKey: run.serverPublicKey,
      collaborationId: run.collaborationId,
      runId: run.runId,
      sequence: seq,
      kind: frameKindOf(stream),
      suite: run.suite as PsiFrameSuite,
      idType: idType as PsiFrameIdType,
      elementBytes: elementBytesOf(stream),
      maxCount: elementsPerFrame(elementBytes),
    });
    if (!header.last) {
      next = run.transport.fetch(idType, stream, seq + 1);
      next.catch(() => undefined);
    }
    parts.push(await transform(body));
    progress('fetching', seq + 1, seq + 1);
    if (header.last) break;
  }
  return Buffer.concat(parts);
}
