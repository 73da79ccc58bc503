/**
 * A hostile client against a node's PSI server endpoints (api/routes/psi-node-routes.ts), over real
 * HTTP: the test signs requests with the brand's key (or a forged one) and builds frames itself.
 * Each refusal carries its stable code, and after it the server holds nothing it should not: the
 * run's view (what the server stored of the client's streams) is unchanged.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { signNodeRequest } from '../../core/peers/node-request-signature.ts';
import { signedRequest } from '../../core/peers/peer-client.ts';
import { psiRunPath } from '../../core/psi/psi-http-transport.ts';
import type { ServerRunView } from '../../core/psi/psi-protocol.ts';
import { encodePsiFrame, PSI_FRAME_HEADER_BYTES, PSI_FRAME_MAX_ELEMENTS, PSI_FRAME_TRAILER_BYTES, type PsiFrameHeader } from '../../crypto/psi/frame.ts';
import type { PsiKey } from '../../crypto/psi/psi-engine.ts';
import { psiDomainSeparationTag } from '../../crypto/psi/suites.ts';
import { waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { BAD_ENCODINGS } from '../crypto/psi/rfc-vectors.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, phoneOf, runEnded, seedMembers, startPsiNode, stopPsiNodes, unpinnedIdentity, type PsiPair, type PsiTestNode } from './psi-fixtures.ts';

interface Answer {
  status: number;
  code: string | undefined;
  body: unknown;
}

const CHECKSUM_BYTES = 32;

describe.each(storageBackends)('PSI server endpoints against a hostile client on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let pair: PsiPair;
  let collaborationId: string;
  let key: PsiKey;

  const partnerAddress = () => ({ nodeId: partner.node.identity.nodeId, baseUrl: partner.node.url });

  /** One signed node request to the partner; JSON bodies are objects, frames are bytes. */
  async function ask(method: 'GET' | 'POST', path: string, body?: object | Uint8Array, as: NodeIdentity = brand.node.identity): Promise<Answer> {
    const response = await signedRequest(as, partnerAddress(), method, path, body);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // A frame, not JSON.
    }
    return { status: response.status, code: (parsed as { code?: string } | undefined)?.code, body: parsed };
  }

  const framePath = (runId: string, idType: string, stream: string, collaboration = collaborationId) => `${psiRunPath(collaboration, runId)}/frames/${idType}/${stream}`;
  const send = (runId: string, frame: Uint8Array, options: { idType?: string; stream?: string; as?: NodeIdentity } = {}) =>
    ask('POST', framePath(runId, options.idType ?? 'email', options.stream ?? 'client-blinded'), frame, options.as);

  async function viewOf(runId: string, collaboration = collaborationId): Promise<ServerRunView> {
    const answer = await ask('GET', psiRunPath(collaboration, runId));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as ServerRunView;
  }

  /** Starts a run as the brand and waits until the partner has prepared its set. */
  async function readyRun(declared: Record<string, number> = { email: 40, phone: 40 }, collaboration = collaborationId): Promise<string> {
    const runId = randomUUID();
    const started = await ask('POST', psiRunPath(collaboration), { runId, collaborationId: collaboration, idTypes: ['email', 'phone'], declared });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    await waitFor(async () => ((await viewOf(runId, collaboration)).status === 'ready' ? true : undefined), 'the server set prepared');
    return runId;
  }

  /** `count` valid elements: random digests hashed and blinded under the test's key. */
  async function blinded(count: number, idType = 'email', collaboration = collaborationId): Promise<Uint8Array> {
    const engine = await brand.engines.engine('ristretto255');
    return engine.hashAndBlind(new Uint8Array(randomBytes(count * 32)), psiDomainSeparationTag('ristretto255', collaboration, idType), key);
  }

  function frame(runId: string, body: Uint8Array, header: Partial<Omit<PsiFrameHeader, 'count'>> = {}, signer: (message: Uint8Array) => Uint8Array = brand.node.identity.sign): Uint8Array {
    return encodePsiFrame(
      { kind: 'blinded', suite: 'ristretto255', idType: 'email', collaborationId, runId, sequence: 0, last: false, elementBytes: 32, ...header },
      body,
      signer,
    );
  }

  /** The frame with its checksum and signature made afresh over whatever was changed in it. */
  function resealed(bytes: Uint8Array, signer: (message: Uint8Array) => Uint8Array = brand.node.identity.sign): Uint8Array {
    const checksumAt = bytes.length - PSI_FRAME_TRAILER_BYTES;
    bytes.set(createHash('sha256').update(bytes.subarray(0, checksumAt)).digest(), checksumAt);
    bytes.set(signer(bytes.subarray(0, checksumAt + CHECKSUM_BYTES)), checksumAt + CHECKSUM_BYTES);
    return bytes;
  }

  async function expectNothingStored(runId: string): Promise<void> {
    const view = await viewOf(runId);
    expect(view.status).toBe('ready');
    expect(view.types.email).toMatchObject({ clientFramesReceived: 0, clientComplete: false, serverDoubleReceived: 0 });
    expect(view.types.phone).toMatchObject({ clientFramesReceived: 0, clientComplete: false, serverDoubleReceived: 0 });
  }

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    pair = await connectPsiNodes(brand, partner);
    await seedMembers(brand, emailsOf(0, 40).map((email, i) => ({ email, phone: phoneOf(i) })));
    await seedMembers(partner, emailsOf(20, 80).map((email, i) => ({ email, phone: phoneOf(20 + i) })));
    collaborationId = await approvedCollaboration(pair);
    key = (await brand.engines.engine('ristretto255')).newKey();
  });

  afterAll(async () => {
    key?.destroy();
    await stopPsiNodes(brand, partner);
  });

  it('refuses damaged and malformed frames and stores none of them', async () => {
    const runId = await readyRun();
    const elements = await blinded(3);

    const flipped = frame(runId, elements);
    flipped[PSI_FRAME_HEADER_BYTES + 5]! ^= 0x01;
    expect(await send(runId, flipped)).toMatchObject({ status: 400, code: 'ACCORD_ERR_PSI_FRAME_CHECKSUM' });

    // The body is not a whole number of elements: five bytes short of what the header announces.
    const valid = frame(runId, elements);
    const short = new Uint8Array(valid.length - 5);
    short.set(valid.subarray(0, PSI_FRAME_HEADER_BYTES + elements.length - 5));
    expect(await send(runId, resealed(short))).toMatchObject({ status: 400, code: 'ACCORD_ERR_PSI_FRAME_MALFORMED' });

    const tooMany = frame(runId, elements);
    new DataView(tooMany.buffer).setUint32(45, PSI_FRAME_MAX_ELEMENTS + 1);
    expect(await send(runId, resealed(tooMany))).toMatchObject({ status: 413, code: 'ACCORD_ERR_PSI_FRAME_TOO_LARGE' });

    // Elements of 16 bytes where the stream carries 32-byte group elements.
    expect(await send(runId, frame(runId, elements, { elementBytes: 16 }))).toMatchObject({ status: 403, code: 'ACCORD_ERR_PSI_FRAME_BINDING' });

    const notAFrame = frame(runId, elements);
    notAFrame[0] = 0x58;
    expect(await send(runId, resealed(notAFrame))).toMatchObject({ status: 400, code: 'ACCORD_ERR_PSI_FRAME_MALFORMED' });
    expect(await send(runId, new Uint8Array(20))).toMatchObject({ status: 400, code: 'ACCORD_ERR_PSI_FRAME_MALFORMED' });

    await expectNothingStored(runId);
    // The run was usable all along: the same elements in a sound frame are taken.
    expect((await send(runId, frame(runId, elements))).status).toBe(200);
    expect((await viewOf(runId)).types.email!.clientFramesReceived).toBe(1);
  });

  it('refuses frames signed by another key or bound to another run, collaboration, stream or suite', async () => {
    const runId = await readyRun();
    const elements = await blinded(3);
    const otherKey = unpinnedIdentity('other');
    expect(await send(runId, frame(runId, elements, {}, otherKey.sign))).toMatchObject({ status: 403, code: 'ACCORD_ERR_PSI_FRAME_SIGNATURE' });
    // The partner's own key: a frame it sent, reflected back at it.
    expect(await send(runId, frame(runId, elements, {}, partner.node.identity.sign))).toMatchObject({ status: 403, code: 'ACCORD_ERR_PSI_FRAME_SIGNATURE' });
    for (const header of [{ runId: randomUUID() }, { collaborationId: randomUUID() }, { idType: 'phone' as const }, { suite: 'x25519-elligator2' as const }, { kind: 'double-blinded' as const }]) {
      expect(await send(runId, frame(runId, elements, header)), JSON.stringify(header)).toMatchObject({ status: 403, code: 'ACCORD_ERR_PSI_FRAME_BINDING' });
    }
    await expectNothingStored(runId);
  });

  it('refuses requests not signed by a pinned key of a party to the collaboration', async () => {
    const runId = await readyRun();
    const elements = await blinded(3);
    // An impostor: the brand's node id, another key.
    const impostor = unpinnedIdentity('Brand', brand.node.identity.nodeId);
    expect(await send(runId, frame(runId, elements, {}, impostor.sign), { as: impostor })).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });
    expect(await ask('GET', psiRunPath(collaborationId, runId), undefined, impostor)).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });

    // A node the partner knows as a peer, but no party to this collaboration.
    const stranger = unpinnedIdentity('Stranger');
    const pinned = await partner.node.call('POST', '/v1/peers', { nodeId: stranger.nodeId, name: 'Stranger', baseUrl: 'http://127.0.0.1:9', publicKey: Buffer.from(stranger.publicKey).toString('base64') });
    expect(pinned.status).toBe(201);
    const strangerRun = randomUUID();
    expect(await ask('POST', psiRunPath(collaborationId), { runId: strangerRun, collaborationId, idTypes: ['email'], declared: { email: 40 } }, stranger)).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });
    expect(await send(runId, frame(runId, elements, {}, stranger.sign), { as: stranger })).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });
    expect(await ask('GET', psiRunPath(collaborationId, runId), undefined, stranger)).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });
    expect(await ask('GET', `${framePath(runId, 'email', 'server-blinded')}/0`, undefined, stranger)).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });
    expect(await ask('POST', `${psiRunPath(collaborationId, runId)}/fail`, { reason: 'stranger' }, stranger)).toMatchObject({ status: 404 });
    expect(await ask('GET', psiRunPath(collaborationId, strangerRun))).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });
    await expectNothingStored(runId);
  });

  it('refuses the identity element and non-canonical encodings inside a blinded frame, storing nothing', async () => {
    const runId = await readyRun();
    const bad = {
      identity: '0000000000000000000000000000000000000000000000000000000000000000',
      'non-canonical field encoding': BAD_ENCODINGS['non-canonical field encoding'][3]!,
      'negative field element': BAD_ENCODINGS['negative field element'][0]!,
      'not on the curve': BAD_ENCODINGS['non-square x²'][0]!,
    };
    for (const [what, hex] of Object.entries(bad)) {
      const elements = await blinded(4);
      elements.set(Buffer.from(hex, 'hex'), 2 * 32);
      const answer = await send(runId, frame(runId, elements));
      expect(answer, what).toMatchObject({ status: 422, code: 'ACCORD_ERR_PSI_INVALID_POINT' });
    }
    await expectNothingStored(runId);
  });

  it('takes frames in sequence only: a skipped, replayed or re-sent frame is refused', async () => {
    const runId = await readyRun();
    const first = frame(runId, await blinded(3), { sequence: 0 });
    const second = frame(runId, await blinded(3), { sequence: 1 });
    expect(await send(runId, second)).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_FRAME_OUT_OF_ORDER' });
    await expectNothingStored(runId);

    // The exact HTTP request twice: the second is a replay of a used nonce.
    const path = framePath(runId, 'email', 'client-blinded');
    const headers = signNodeRequest(brand.node.identity.sign, { sender: brand.node.identity.nodeId, recipient: partner.node.identity.nodeId, method: 'POST', pathWithQuery: path, body: first });
    const post = () => fetch(partner.node.url + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: new Uint8Array(first) });
    expect((await post()).status).toBe(200);
    const replayed = await post();
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { code: string }).code).toBe('ACCORD_ERR_NODE_REPLAY');

    // The same frame in a freshly signed request: its sequence number is taken.
    expect(await send(runId, first)).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_FRAME_REPLAY' });
    expect(await send(runId, frame(runId, await blinded(3), { sequence: 2 }))).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_FRAME_OUT_OF_ORDER' });
    expect((await viewOf(runId)).types.email).toMatchObject({ clientFramesReceived: 1, clientComplete: false });
    expect((await send(runId, second)).status).toBe(200);
    expect((await viewOf(runId)).types.email!.clientFramesReceived).toBe(2);
  });

  it('refuses a set larger than its party declared (ACCORD_ERR_GUARD_SIZE_MISMATCH)', async () => {
    const runId = await readyRun({ email: 12, phone: 12 });
    expect(await send(runId, frame(runId, await blinded(13)))).toMatchObject({ status: 422, code: 'ACCORD_ERR_GUARD_SIZE_MISMATCH' });
    await expectNothingStored(runId);
    // Within the declaration frame by frame, over it in total.
    expect((await send(runId, frame(runId, await blinded(10)))).status).toBe(200);
    expect(await send(runId, frame(runId, await blinded(3), { sequence: 1, last: true }))).toMatchObject({ status: 422, code: 'ACCORD_ERR_GUARD_SIZE_MISMATCH' });
    expect(await send(runId, frame(runId, await blinded(13, 'phone'), { idType: 'phone', last: true }), { idType: 'phone' })).toMatchObject({ status: 422, code: 'ACCORD_ERR_GUARD_SIZE_MISMATCH' });
    const view = await viewOf(runId);
    expect(view.types.email).toMatchObject({ clientFramesReceived: 1, clientComplete: false });
    expect(view.types.phone).toMatchObject({ clientFramesReceived: 0, clientComplete: false });
  });

  it('refuses a whole set that falls short of its declaration, repeats an element or is under the minimum, and serves nothing to compare with before every set is whole', async () => {
    // Declared 40 each; the terms' tolerance is 5%, so at least 38 must arrive; their minimum input is 10.
    expect(await ask('POST', psiRunPath(collaborationId), { runId: randomUUID(), collaborationId, idTypes: ['email'], declared: { email: 9 } })).toMatchObject({ status: 422, code: 'ACCORD_ERR_GUARD_INPUT_TOO_SMALL' });
    const runId = await readyRun({ email: 40, phone: 40 });
    expect(await send(runId, frame(runId, await blinded(37), { last: true }))).toMatchObject({ status: 422, code: 'ACCORD_ERR_GUARD_SIZE_MISMATCH' });
    const repeated = await blinded(38);
    repeated.set(repeated.subarray(0, 32), 37 * 32);
    expect(await send(runId, frame(runId, repeated, { last: true }))).toMatchObject({ status: 422, code: 'ACCORD_ERR_GUARD_DUPLICATE_INPUT' });
    await expectNothingStored(runId);
    expect((await send(runId, frame(runId, await blinded(38), { last: true }))).status).toBe(200);
    expect((await viewOf(runId)).types.email).toMatchObject({ clientComplete: true });
    // The phone set has not arrived: its doubly blinded email set is not served yet.
    expect(await ask('GET', `${framePath(runId, 'email', 'client-double')}/0`)).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_NOT_READY' });
    expect((await send(runId, frame(runId, await blinded(40, 'phone'), { idType: 'phone', last: true }), { idType: 'phone' })).status).toBe(200);
    expect((await ask('GET', `${framePath(runId, 'email', 'client-double')}/0`)).status).toBe(200);
  });

  it('answers a repeated start of the same run with that run, and refuses its id on another collaboration', async () => {
    const runId = await readyRun();
    const again = await ask('POST', psiRunPath(collaborationId), { runId, collaborationId, idTypes: ['email', 'phone'], declared: { email: 40, phone: 40 } });
    expect(again.status).toBe(202);
    expect((again.body as ServerRunView).runId).toBe(runId);
    expect((again.body as ServerRunView).status).toBe('ready');
    const runs = await partner.node.call('GET', `/v1/psi/runs?collaborationId=${collaborationId}&limit=200`);
    expect(runs.body.items.filter((run: { id: string }) => run.id === runId)).toHaveLength(1);

    const other = await approvedCollaboration(pair);
    expect(await ask('POST', psiRunPath(other), { runId, collaborationId: other, idTypes: ['email'], declared: { email: 40 } })).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_CONFLICT' });
    expect(await ask('GET', psiRunPath(other, runId))).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });
    // The body must name the collaboration of the path.
    expect(await ask('POST', psiRunPath(other), { runId: randomUUID(), collaborationId, idTypes: ['email'], declared: { email: 40 } })).toMatchObject({ status: 422, code: 'ACCORD_ERR_PSI_RUN_INVALID' });
  });

  it('refuses streams the run does not allow, and anything once the run has ended', async () => {
    const runId = await readyRun();
    const elements = await blinded(3);
    // The partner may not learn members here, so it takes no server-double stream.
    const truncated = encodePsiFrame({ kind: 'truncated', suite: 'ristretto255', idType: 'email', collaborationId, runId, sequence: 0, last: true, elementBytes: 12 }, new Uint8Array(randomBytes(36)), brand.node.identity.sign);
    expect(await send(runId, truncated, { stream: 'server-double' })).toMatchObject({ status: 422, code: 'ACCORD_ERR_PSI_RUN_INVALID' });
    expect(await send(runId, frame(runId, elements, { idType: 'idfa' }), { idType: 'idfa' })).toMatchObject({ status: 422, code: 'ACCORD_ERR_PSI_RUN_INVALID' });
    expect(await ask('GET', `${framePath(runId, 'email', 'client-double')}/0`)).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_NOT_READY' });
    expect(await ask('GET', `${framePath(runId, 'email', 'server-blinded')}/7`)).toMatchObject({ status: 422, code: 'ACCORD_ERR_PSI_RUN_INVALID' });
    await expectNothingStored(runId);

    expect((await ask('POST', `${psiRunPath(collaborationId, runId)}/fail`, { reason: 'giving up' })).status).toBe(204);
    expect(await send(runId, frame(runId, elements))).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_CLOSED' });
    expect(await ask('GET', `${framePath(runId, 'email', 'server-blinded')}/0`)).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_CLOSED' });
    expect(await ask('POST', `${psiRunPath(collaborationId, runId)}/finish`, { decision: null })).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_CLOSED' });
    const closed = await viewOf(runId);
    expect(closed.status).toBe('failed');
    // The run's intermediate sets are erased with it.
    expect(closed.types.email).toMatchObject({ serverFrames: 0, clientFramesReceived: 0 });
    expect((await runEnded(partner, runId)).result).toBeNull();
  });

  it('limits how often a partner may start runs: the run budget and the daily rate', async () => {
    const budgeted = await approvedCollaboration(pair, { runBudget: 2 });
    const start = (collaboration: string, runId = randomUUID()) => ask('POST', psiRunPath(collaboration), { runId, collaborationId: collaboration, idTypes: ['email'], declared: { email: 40 } });
    expect((await start(budgeted)).status).toBe(202);
    expect((await start(budgeted)).status).toBe(202);
    const refusedRun = randomUUID();
    expect(await start(budgeted, refusedRun)).toMatchObject({ status: 409, code: 'ACCORD_ERR_GUARD_RUN_BUDGET' });
    expect(await start(budgeted)).toMatchObject({ status: 409, code: 'ACCORD_ERR_GUARD_RUN_BUDGET' });
    expect(await ask('GET', psiRunPath(budgeted, refusedRun))).toMatchObject({ status: 404, code: 'ACCORD_ERR_PSI_RUN_UNKNOWN' });

    // The brand's own node admits its run (its ledger has none), the partner refuses it: the run fails with nothing released.
    const runId = (await brand.node.call('POST', '/v1/psi/runs', { collaborationId: budgeted })).body.id as string;
    const run = await runEnded(brand, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('ACCORD_ERR_GUARD_RUN_BUDGET');
    expect(run.result).toBeNull();
    expect((await brand.node.call('GET', `/v1/psi/runs/${runId}/matches`)).body.items).toEqual([]);

    const rated = await approvedCollaboration(pair, { maxRunsPerDay: 1 });
    expect((await start(rated)).status).toBe(202);
    expect(await start(rated)).toMatchObject({ status: 429, code: 'ACCORD_ERR_GUARD_RATE_LIMITED' });
  });

  it('refuses runs on an expired collaboration', async () => {
    const expiring = await approvedCollaboration(pair, { partnerConstraints: () => ({ expiresAt: new Date(Date.now() + 3_000).toISOString() }) });
    await waitFor(async () => ((await brand.node.call('GET', `/v1/collaborations/${expiring}`)).body.status === 'expired' ? true : undefined), 'the collaboration expired');
    const viaApi = await brand.node.call('POST', '/v1/psi/runs', { collaborationId: expiring });
    expect(viaApi).toMatchObject({ status: 409, body: { code: 'ACCORD_ERR_COLLABORATION_EXPIRED' } });
    const runId = randomUUID();
    expect(await ask('POST', psiRunPath(expiring), { runId, collaborationId: expiring, idTypes: ['email'], declared: { email: 40 } })).toMatchObject({ status: 409, code: 'ACCORD_ERR_COLLABORATION_EXPIRED' });
    expect(await ask('GET', psiRunPath(expiring, runId))).toMatchObject({ status: 404 });
  });

  it('stops serving and taking frames of a run once its collaboration is revoked', async () => {
    const revoked = await approvedCollaboration(pair);
    const runId = await readyRun({ email: 40, phone: 40 }, revoked);
    const fetchServerSet = () => ask('GET', `${framePath(runId, 'email', 'server-blinded', revoked)}/0`);
    expect((await fetchServerSet()).status).toBe(200);
    expect((await partner.node.call('POST', `/v1/collaborations/${revoked}/revoke`, { reason: 'campaign cancelled' })).status).toBe(200);

    const refusals = ['ACCORD_ERR_COLLABORATION_REVOKED', 'ACCORD_ERR_PSI_RUN_CLOSED'];
    const served = await fetchServerSet();
    expect.soft(served.status, 'a revoked collaboration still hands out the blinded set').toBe(409);
    expect.soft(refusals).toContain(served.code);
    const elements = await blinded(3, 'email', revoked);
    const sent = await ask('POST', framePath(runId, 'email', 'client-blinded', revoked), encodePsiFrame({ kind: 'blinded', suite: 'ristretto255', idType: 'email', collaborationId: revoked, runId, sequence: 0, last: true, elementBytes: 32 }, elements, brand.node.identity.sign));
    expect.soft(sent.status, 'a revoked collaboration still takes the client set').toBe(409);
    expect.soft(refusals).toContain(sent.code);
  });

  it('refuses a returned server set (server-double) longer than the server set, or frames after its last', async () => {
    const toBoth = await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: true } });
    const runId = await readyRun({ email: 40, phone: 40 }, toBoth);
    const returned = (count: number, sequence: number, last: boolean) =>
      encodePsiFrame({ kind: 'truncated', suite: 'ristretto255', idType: 'email', collaborationId: toBoth, runId, sequence, last, elementBytes: 12 }, new Uint8Array(randomBytes(count * 12)), brand.node.identity.sign);
    const sendReturned = (bytes: Uint8Array) => ask('POST', framePath(runId, 'email', 'server-double', toBoth), bytes);
    const refusals = ['ACCORD_ERR_PSI_RUN_INVALID', 'ACCORD_ERR_GUARD_SIZE_MISMATCH'];
    // The partner's email set has 60 elements: 61 returned ones cannot be its set.
    const tooLong = await sendReturned(returned(61, 0, true));
    expect.soft(tooLong.status, 'a server-double stream longer than the server set is stored').toBe(422);
    expect.soft(refusals).toContain(tooLong.code);
    expect.soft((await viewOf(runId, toBoth)).types.email!.serverDoubleReceived).toBe(0);

    // A whole stream, then more after its last frame: each further frame would be stored for nothing.
    const whole = await sendReturned(returned(60, (await viewOf(runId, toBoth)).types.email!.serverDoubleReceived, true));
    expect(whole.status).toBe(200);
    const received = (await viewOf(runId, toBoth)).types.email!.serverDoubleReceived;
    const beyond = await sendReturned(returned(60, received, true));
    expect.soft(beyond.status, 'frames after the last server-double frame are stored').toBe(422);
    expect.soft(refusals).toContain(beyond.code);
    expect.soft((await viewOf(runId, toBoth)).types.email!.serverDoubleReceived).toBe(received);
  });
});
