/**
 * The client side of a PSI run (psi-protocol.ts), over any transport: a node's job talks to the
 * partner node over signed HTTP, `accord psi join` does the same from a file. Resumable: what the
 * server already holds (its view) decides where each stream picks up, and the client's blinded set
 * is deterministic for its key, so a resumed run sends what the interrupted one would have.
 * Identifier types run in priority order; once the client may learn members, a person matched on
 * one type is left out of the later ones.
 */
import { randomBytes } from 'node:crypto';
import { decodePsiFrame, encodePsiFrame, type PsiFrameIdType, type PsiFrameSuite } from '../../crypto/psi/frame.ts';
import { TruncatedSet, matchIndices, truncate } from '../../crypto/psi/compare.ts';
import type { PsiEngine, PsiKey } from '../../crypto/psi/psi-engine.ts';
import { ELEMENT_BYTES, psiDomainSeparationTag, type PsiSuite } from '../../crypto/psi/suites.ts';
import { elementBytesOf, frameHeader, frameKindOf } from './psi-frames.ts';
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
   * The client's own release, before the server hears anything: its guard decides what leaves, it
   * stores what it may keep, and it returns what the server is told (never a raw count).
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
  /** Per identifier type: elements sent and matched. */
  readonly byIdType: Record<string, { input: number; matched: number }>;
  /** Matched people (input person ids) with the type they matched on; undefined when only the count may be learnt. */
  readonly matched: Map<number, string> | undefined;
  /** PSI with payload: what each matched person's payload opened to (JSON bytes). */
  readonly payloads: Map<number, Uint8Array>;
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
  // Every type is declared at the number of people: in count-only runs each type is sent aligned
  // by person (see alignByPerson), so that is what each type holds at most.
  const people = new Set(run.idTypes.flatMap((type) => [...(run.inputs.get(type)?.personIds ?? [])])).size;
  const declared = Object.fromEntries(run.idTypes.map((type) => [type, Math.max(people, run.inputs.get(type)?.personIds.length ?? 0)]));
  let view = await run.transport.start({ runId: run.runId, collaborationId: run.collaborationId, idTypes: [...run.idTypes], declared, mode: run.mode ?? 'balanced' });
  // The first type's blinding depends on nothing the server says: it runs while the server prepares.
  const aligned = run.expect.clientLearnsMembers ? undefined : alignByPerson(run.inputs, run.idTypes);
  const firstType = run.idTypes[0]!;
  const firstInput = aligned ? aligned.sets.get(firstType)! : withoutMatched(run.inputs.get(firstType), undefined);
  const firstBlinded = run.engine.hashAndBlind(firstInput.digests, psiDomainSeparationTag(run.suite, run.collaborationId, firstType), run.key);
  firstBlinded.catch(() => undefined);
  while (view.status === 'preparing') {
    run.onProgress?.({ idType: run.idTypes[0]!, phase: 'waiting', done: 0, total: 0 });
    await sleep(run.pollMs ?? 250);
    view = await run.transport.view();
  }
  if (view.status === 'failed') throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', view.error ?? 'the server failed the run');
  if (view.clientLearnsMembers !== run.expect.clientLearnsMembers || (view.serverLearnsMembers && !run.expect.serverLearnsMembers)) {
    throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', 'the server reads the terms differently: who learns the matched members does not agree with ours');
  }
  lap('prepare');
  const header = { collaboration_id: run.collaborationId, id: run.runId, suite: run.suite };
  const matched = view.clientLearnsMembers ? new Map<number, string>() : undefined;
  const countedPositions = aligned ? new Uint8Array(aligned.people) : undefined;
  const byIdType: PsiClientResult['byIdType'] = {};
  const payloads = new Map<number, Uint8Array>();
  const context = { collaborationId: run.collaborationId, runId: view.tagContext };

  for (const idType of run.idTypes) {
    const input = idType === firstType ? firstInput : aligned ? aligned.sets.get(idType)! : withoutMatched(run.inputs.get(idType), matched);
    const blinded = idType === firstType ? await firstBlinded : await run.engine.hashAndBlind(input.digests, psiDomainSeparationTag(run.suite, run.collaborationId, idType), run.key);
    // Sorted when the client may learn members (resumable, unlinkable); in person order when aligned.
    const { sorted, order } = aligned ? { sorted: blinded, order: Uint32Array.from(input.personIds, (_, i) => i) } : sortElements(blinded, ELEMENT_BYTES);
    const count = order.length;
    lap('blind');
    const frames = Math.max(1, Math.ceil(count / FRAME_ELEMENTS));
    const progress = (phase: PsiClientProgress['phase'], done: number, total: number) => run.onProgress?.({ idType, phase, done, total });

    for (let seq = view.types[idType]!.clientFramesReceived; seq < frames && !view.types[idType]!.clientComplete; seq++) {
      const body = sorted.subarray(seq * FRAME_ELEMENTS * ELEMENT_BYTES, (seq + 1) * FRAME_ELEMENTS * ELEMENT_BYTES);
      await run.transport.send(idType, 'client-blinded', encodePsiFrame(frameHeader(header, idType, 'client-blinded', seq, seq === frames - 1), body, run.sign));
      progress('sending', seq + 1, frames);
    }

    lap('send');
    let hits: Uint32Array;
    let serverDouble: Uint8Array | undefined;
    const opened = new Map<number, Uint8Array>();
    if (view.mode === 'balanced') {
      serverDouble = await fetchStream(run, idType, 'server-blinded', async (body) => truncate(await run.engine.reblind(body, run.key), ELEMENT_BYTES), progress);
      const clientDouble = await fetchStream(run, idType, 'client-double', async (body) => body, progress);
      checkReturned(clientDouble.length / COMPARE_BYTES, count, idType);
      lap('fetch');
      hits = matchIndices(clientDouble, TruncatedSet.from(serverDouble));
    } else {
      // OPRF: unblind H(c)^ab to H(c)^b, then look its tags up in what the server published.
      const unblinded = await fetchStream(run, idType, 'client-double-full', (body) => run.engine.unblind(body, run.key), progress);
      checkReturned(unblinded.length / ELEMENT_BYTES, count, idType);
      if (view.mode === 'unbalanced') {
        const set = await fetchStream(run, idType, 'server-gcs', async (body) => body, progress);
        lap('fetch');
        hits = membershipMatches(unblinded, context, set, run.maxServerSize);
      } else {
        const entries = await fetchStream(run, idType, 'server-payload', async (body) => body, progress);
        lap('fetch');
        const found = openPayloads(unblinded, context, entries);
        for (const { index, payload } of found) opened.set(index, payload);
        hits = Uint32Array.from(found, (f) => f.index);
      }
    }
    let matchedHere = hits.length;
    if (countedPositions) {
      // The server returned every type in one secret order: a position hit on an earlier type is the same person.
      matchedHere = 0;
      for (const position of hits) {
        if (countedPositions[position]) continue;
        countedPositions[position] = 1;
        matchedHere++;
      }
    }
    if (matched) {
      matchedHere = 0;
      for (const index of hits) {
        const person = input.personIds[order[index]!]!;
        if (matched.has(person)) continue;
        matched.set(person, idType);
        const payload = opened.get(index);
        if (payload) payloads.set(person, payload);
        matchedHere++;
      }
    }
    // The input size before people matched on earlier types were left out: the smaller figure would tell the overlap.
    byIdType[idType] = { input: run.inputs.get(idType)?.personIds.length ?? 0, matched: matchedHere };
    lap('match');

    if (view.serverLearnsMembers && serverDouble) {
      const total = Math.max(1, Math.ceil(serverDouble.length / COMPARE_BYTES / FRAME_ELEMENTS));
      view = await run.transport.view();
      for (let seq = view.types[idType]!.serverDoubleReceived; seq < total; seq++) {
        const body = serverDouble.subarray(seq * FRAME_ELEMENTS * COMPARE_BYTES, (seq + 1) * FRAME_ELEMENTS * COMPARE_BYTES);
        await run.transport.send(idType, 'server-double', encodePsiFrame(frameHeader(header, idType, 'server-double', seq, seq === total - 1), body, run.sign));
        progress('returning', seq + 1, total);
      }
    }
    lap('return');
    progress('done', 1, 1);
  }
  const result = { view, byIdType, matched, payloads, timings };
  const report = await run.release(result);
  await run.transport.finish(report);
  lap('finish');
  return result;
}

function checkReturned(returned: number, sent: number, idType: string): void {
  if (returned !== sent) throw new PsiRunError('ACCORD_ERR_PSI_PEER_FAILED', `the server returned ${returned} of ${sent} elements for ${idType}`);
}

/**
 * Count only, several identifier types: every type's set lists the same people in the same order,
 * with a random digest (which matches nothing) where a person has no identifier of that type, so
 * the server's single secret order keeps positions aligned and the client counts each person once.
 * The server learns which of the client's blinded elements belong together, not who they are.
 */
function alignByPerson(inputs: ReadonlyMap<string, PsiInputSet>, idTypes: readonly string[]): { people: number; sets: Map<string, PsiInputSet> } {
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
  return { people: people.length, sets };
}

function withoutMatched(input: PsiInputSet | undefined, matched: Map<number, string> | undefined): PsiInputSet {
  if (!input) throw new RangeError('no input for an identifier type of the run');
  if (!matched || matched.size === 0) return input;
  const keep: number[] = [];
  for (let i = 0; i < input.personIds.length; i++) if (!matched.has(input.personIds[i]!)) keep.push(i);
  const digests = new Uint8Array(keep.length * ELEMENT_BYTES);
  keep.forEach((from, to) => digests.set(input.digests.subarray(from * ELEMENT_BYTES, (from + 1) * ELEMENT_BYTES), to * ELEMENT_BYTES));
  return { idType: input.idType, personIds: Float64Array.from(keep, (i) => input.personIds[i]!), digests };
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
