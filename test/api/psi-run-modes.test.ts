/**
 * What a PSI run releases, by the collaboration's outputs, between two nodes over real HTTP: the
 * count only (and then the client cannot tell which of its people matched), the matched members to
 * the brand or to both, priority matching over several identifier types, both suites, and the
 * consent gate on either side.
 *
 * Data: the brand holds user0..69 (email and phone); user60..69 never consented. The partner holds
 *   user20..39 with the same email and phone (matched on email, the first type),
 *   partner40..49 with another email but the phone of user40..49 (matched on phone only),
 *   user50..59 with the same email and another phone (matched on email),
 *   user60..69 (consented there, not at the brand), and user100..119 (partner only).
 * So 40 people match: 30 on email, 10 on phone. Tests that check exact figures opt in to exact counts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { runPsiClient, type PsiServerTransport } from '../../core/psi/psi-client.ts';
import { httpPsiTransport } from '../../core/psi/psi-http-transport.ts';
import { collectPsiInput } from '../../core/psi/psi-input.ts';
import { storageBackends } from '../support/test-database.ts';
import {
  approvedCollaboration,
  connectPsiNodes,
  matchedEmails,
  MASTER_KEY,
  phoneOf,
  personsByEmail,
  PURPOSE,
  RECIPIENT,
  runEnded,
  seedMembers,
  startPsiNode,
  startRun,
  stopPsiNodes,
  withdrawConsent,
  type Member,
  type PsiPair,
  type PsiTestNode,
} from './psi-fixtures.ts';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const email = (i: number) => `user${i}@example.com`;

const brandMembers: Member[] = range(0, 70).map((i) => ({ email: email(i), phone: phoneOf(i) }));
const partnerMembers: Member[] = [
  ...range(20, 40).map((i) => ({ email: email(i), phone: phoneOf(i) })),
  ...range(40, 50).map((i) => ({ email: `partner${i}@example.com`, phone: phoneOf(i) })),
  ...range(50, 60).map((i) => ({ email: email(i), phone: phoneOf(1_000 + i) })),
  ...range(60, 70).map((i) => ({ email: email(i), phone: phoneOf(i) })),
  ...range(100, 120).map((i) => ({ email: email(i), phone: phoneOf(i) })),
];

/** The brand's expected matches, as matchedEmails lists them. */
const brandMatches = (except: readonly number[] = []) =>
  [...range(20, 40).map((i) => ({ email: email(i), idType: 'email' })), ...range(40, 50).map((i) => ({ email: email(i), idType: 'phone' })), ...range(50, 60).map((i) => ({ email: email(i), idType: 'email' }))]
    .filter((m) => !except.includes(Number(/\d+/.exec(m.email)![0])))
    .sort((a, b) => a.email.localeCompare(b.email));

const partnerMatches = (except: readonly number[] = []) =>
  [...range(20, 40).map((i) => ({ email: email(i), idType: 'email' })), ...range(40, 50).map((i) => ({ email: `partner${i}@example.com`, idType: 'phone' })), ...range(50, 60).map((i) => ({ email: email(i), idType: 'email' }))]
    .filter((m) => !except.includes(Number(/\d+/.exec(m.email)![0])))
    .sort((a, b) => a.email.localeCompare(b.email));

describe.each(storageBackends)('PSI run outputs between two nodes on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let pair: PsiPair;

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    pair = await connectPsiNodes(brand, partner);
    await seedMembers(brand, brandMembers, (m) => Number(/\d+/.exec(m.email)![0]) < 60);
    await seedMembers(partner, partnerMembers);
  });

  afterAll(() => stopPsiNodes(brand, partner));

  async function finishedRun(collaborationId: string) {
    const runId = await startRun(brand, collaborationId);
    const client = await runEnded(brand, runId);
    expect(client.error).toBeNull();
    expect(client.status).toBe('finished');
    const server = await runEnded(partner, runId);
    expect(server.error).toBeNull();
    expect(server.status).toBe('finished');
    return { runId, client, server };
  }

  it('to the brand: each person matched once, on the first identifier type in priority order', async () => {
    const collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: false }, idTypes: ['email', 'phone'], exactCounts: true });
    const { runId, client, server } = await finishedRun(collaborationId);
    expect(client).toMatchObject({ clientLearnsMembers: true, serverLearnsMembers: false });
    expect(client.result!.decision).toMatchObject({ released: true, total: 40, byIdType: { email: 30, phone: 10 } });
    expect(client.result!.membersStored).toBe(40);
    expect(await matchedEmails(brand, runId)).toEqual(brandMatches());
    expect(server.result!.membersStored).toBe(0);
    expect(await matchedEmails(partner, runId)).toEqual([]);
  });

  it('to both parties: both nodes store the same number of matched members, each its own people', async () => {
    const collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: true } });
    const { runId, client, server } = await finishedRun(collaborationId);
    expect(client).toMatchObject({ clientLearnsMembers: true, serverLearnsMembers: true });
    expect(client.result!.membersStored).toBe(40);
    expect(server.result!.membersStored).toBe(40);
    expect(await matchedEmails(brand, runId)).toEqual(brandMatches());
    expect(await matchedEmails(partner, runId)).toEqual(partnerMatches());
  });

  it('to both parties below the minimum overlap: neither node releases anything', async () => {
    const collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: true }, minOverlap: 41, exactCounts: true });
    const { runId, client, server } = await finishedRun(collaborationId);
    expect(client.result!.decision).toEqual({ released: false, reason: 'below-min-overlap' });
    expect(client.result!.membersStored).toBe(0);
    expect(server.result!.decision).toEqual({ released: false, reason: 'below-min-overlap' });
    expect(server.result!.membersStored).toBe(0);
    expect(await matchedEmails(brand, runId)).toEqual([]);
    expect(await matchedEmails(partner, runId)).toEqual([]);
  });

  // A person matched on email and again on phone is one person of the overlap: the count (and the
  // minimum-overlap check made on it) must not add them twice, though neither side sees who matched.
  it('count only: the partner counts and releases a noisy count of people, the brand records that release, no node stores matches', async () => {
    const collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: false, matchedToPartner: false } });
    const { runId, client, server } = await finishedRun(collaborationId);
    expect(client).toMatchObject({ clientLearnsMembers: false, serverLearnsMembers: false });
    const decision = client.result!.decision as { released: boolean; total: number; byIdType: unknown; noise: unknown };
    // The default noise: ε 1 over two identifier types (one person moves the count by up to 2).
    expect(decision).toMatchObject({ released: true, byIdType: null, noise: { epsilon: 1 } });
    expect(Math.abs(decision.total - 40)).toBeLessThanOrEqual(20);
    expect(server.result!.decision).toEqual(decision);
    const spent = (n: PsiTestNode) => withTenant(n.node.t.db, n.node.tenantId, (trx) => trx.selectFrom('guard_decisions').select(['epsilon_micros', 'details']).where('run_id', '=', runId).where('stage', '=', 'counts').executeTakeFirstOrThrow());
    expect(await spent(partner)).toMatchObject({ epsilon_micros: 1_000_000, details: { noise: { epsilon: 1, sensitivity: 2 } } });
    expect(await spent(brand)).toMatchObject({ epsilon_micros: 1_000_000, details: { decidedBy: partner.node.identity.nodeId } });
    expect(client.result!.membersStored).toBe(0);
    expect(server.result!.membersStored).toBe(0);
    expect(await matchedEmails(brand, runId)).toEqual([]);
    expect(await matchedEmails(partner, runId)).toEqual([]);
  });

  /**
   * Plays the brand's side by hand and records the streams it fetches: when the brand may learn
   * members it fetches its doubly blinded set in its own order, and the hits point at exactly its
   * matching people; count only, it fetches the partner's set and its sum and nothing it could
   * compare its own elements with.
   */
  async function fetchedStreams(collaborationId: string, learnsMembers: boolean): Promise<{ streams: Set<string>; hitPersons?: Set<number>; matchingPersons: Set<number> }> {
    const engine = await brand.engines.engine('ristretto255');
    const key = engine.newKey();
    const runId = randomUUID();
    const input = await withTenant(brand.node.t.db, brand.node.tenantId, (trx) =>
      collectPsiInput(trx, new ConsentGate(), new IdentifierKeys(MASTER_KEY), { segmentId: null, idTypes: ['email'], purpose: PURPOSE, recipients: [RECIPIENT], regime: 'pipl', collaborationId, actor: 'test' }),
    );
    const streams = new Set<string>();
    const http = httpPsiTransport(brand.node.identity, { nodeId: partner.node.identity.nodeId, baseUrl: partner.node.url }, collaborationId, runId);
    const recording: PsiServerTransport = {
      ...http,
      traffic: http.traffic,
      async fetch(idType, stream, seq) {
        streams.add(stream);
        return http.fetch(idType, stream, seq);
      },
    };
    const personOf = await personsByEmail(brand);
    const matchingPersons = new Set([...range(20, 40), ...range(50, 60)].map((i) => personOf.get(email(i))!));
    try {
      const result = await runPsiClient({ runId, collaborationId, suite: 'ristretto255', idTypes: ['email'], inputs: input.sets, engine, key, transport: recording, sign: brand.node.identity.sign, serverPublicKey: partner.node.identity.publicKey, pollMs: 25, maxServerSize: 1_000_000, expect: { clientLearnsMembers: learnsMembers, serverLearnsMembers: false }, release: async () => ({ decision: { released: false, reason: 'below-min-overlap' } }) });
      return { streams, matchingPersons, ...(result.matched ? { hitPersons: new Set(result.matched.keys()) } : {}) };
    } finally {
      key.destroy();
    }
  }

  it('count only: the brand is served nothing to compare its own people with', async () => {
    const members = await fetchedStreams(await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: false } }), true);
    expect(members.streams).toEqual(new Set(['server-blinded', 'client-double']));
    expect(members.hitPersons).toEqual(members.matchingPersons);

    const countOnly = await fetchedStreams(await approvedCollaboration(pair, { outputs: { matchedToBrand: false, matchedToPartner: false } }), false);
    expect(countOnly.streams).toEqual(new Set(['server-blinded', 'server-sum']));
    expect(countOnly.hitPersons).toBeUndefined();
  });

  it('count only on the x25519-elligator2 suite is refused: the server cannot check the returned set by a sum', async () => {
    const fast = await approvedCollaboration(pair, { suite: 'x25519-elligator2', outputs: { matchedToBrand: false, matchedToPartner: false } });
    const run = await runEnded(brand, await startRun(brand, fast));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/needs the ristretto255 suite/);
    expect(run.result).toBeNull();
  });

  it('the x25519-elligator2 suite finds the same matches as ristretto255', async () => {
    const fast = await approvedCollaboration(pair, { suite: 'x25519-elligator2', exactCounts: true });
    const { runId, client } = await finishedRun(fast);
    expect(client.result!.decision).toMatchObject({ released: true, total: 40, byIdType: { email: 30, phone: 10 } });
    expect(await matchedEmails(brand, runId)).toEqual(brandMatches());
  });

  it('only people the gate allows enter a run: withdrawn consent on either side keeps them out of every match', async () => {
    // user20..24 withdraw at the brand, user25..29 at the partner; user60..69 never consented at the brand.
    await withdrawConsent(brand, range(20, 25).map(email));
    await withdrawConsent(partner, range(25, 30).map(email));
    const collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: true, matchedToPartner: true }, exactCounts: true });
    const { runId, client, server } = await finishedRun(collaborationId);
    const withdrawn = range(20, 30);
    expect(client.result!.decision).toMatchObject({ released: true, total: 30 });
    expect(await matchedEmails(brand, runId)).toEqual(brandMatches(withdrawn));
    expect(await matchedEmails(partner, runId)).toEqual(partnerMatches(withdrawn));
    expect(server.result!.membersStored).toBe(30);
  });
});
