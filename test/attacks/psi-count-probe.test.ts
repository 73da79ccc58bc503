/**
 * Attack 1 of reference/attacks-confirmed.md and its variants: a modified brand client probes
 * whether one person is in the partner's set through a count-only collaboration. The partner holds
 * user0..149 (email and phone), all consenting; the collaboration releases the overlap count only,
 * under the default noise. The attacker skips its own guard and tells the server nothing.
 * Against the landed code each attack read the target's membership (hits 1 against 0, and the
 * per-position type combination); now the server refuses or releases only a noisy count, and the
 * last part shows what that release can tell: at most a factor e^ε between member and non-member.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGuardPolicy } from '../../core/guard/guard-policy.ts';
import { sortElements } from '../../core/psi/sort-elements.ts';
import { matchIndices, truncate, TruncatedSet } from '../../crypto/psi/compare.ts';
import { ELEMENT_BYTES } from '../../crypto/psi/suites.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, phoneOf, seedMembers, startPsiNode, stopPsiNodes, type PsiPair, type PsiTestNode } from '../api/psi-fixtures.ts';
import { digestOf, HostileClient } from './hostile-psi-client.ts';
import { largestRatio, releaseHistogram } from './release-ratio.ts';

const MEMBER = 'user7@example.com';
const NON_MEMBER = 'nobody@example.com';

/** The target's digest followed by `padding` random digests (which match nothing). */
function probeSet(target: string, padding: number): Uint8Array {
  const digests = new Uint8Array((1 + padding) * ELEMENT_BYTES);
  digests.set(digestOf(target));
  digests.set(randomBytes(padding * ELEMENT_BYTES), ELEMENT_BYTES);
  return digests;
}

describe.each(storageBackends)('count-only membership probes by a modified client on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let pair: PsiPair;
  let emailOnly: string;
  let twoTypes: string;

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    pair = await connectPsiNodes(brand, partner);
    await seedMembers(partner, emailsOf(0, 150).map((email, i) => ({ email, phone: phoneOf(i) })));
    const countOnly = { outputs: { matchedToBrand: false, matchedToPartner: false }, minOverlap: 50, minInputSize: 100 };
    emailOnly = await approvedCollaboration(pair, { ...countOnly, idTypes: ['email'] });
    twoTypes = await approvedCollaboration(pair, { ...countOnly, idTypes: ['email', 'phone'] });
  });

  afterAll(() => stopPsiNodes(brand, partner));

  /** What the attacker sees of the matches: the hits it computes itself, or the refusal that stopped it. */
  async function readHits(client: HostileClient, idType: string): Promise<{ hits: number } | { refused: string | undefined }> {
    const serverSet = await client.fetch(idType, 'server-blinded');
    if (!serverSet.ok) return { refused: serverSet.refusal.code };
    const serverDouble = truncate(await client.engine.reblind(serverSet.body, client.key), ELEMENT_BYTES);
    const clientDouble = await client.fetch(idType, 'client-double');
    if (!clientDouble.ok) return { refused: clientDouble.refusal.code };
    return { hits: matchIndices(clientDouble.body, TruncatedSet.from(serverDouble)).length };
  }

  it('declaring 10,000 and sending one element is refused before any comparison', async () => {
    const observed = [];
    for (const target of [MEMBER, NON_MEMBER]) {
      const client = await HostileClient.against(brand, partner, emailOnly);
      try {
        expect((await client.start(['email'], { email: 10_000 })).status).toBe(200);
        const sent = await client.send('email', 'client-blinded', await client.blind(probeSet(target, 0), 'email'));
        observed.push(sent.status === 200 ? await readHits(client, 'email') : { refused: sent.code });
      } finally {
        client.close();
      }
    }
    // The attacker would see 1 hit for the member and 0 for the non-member; it must see the same refusal for both.
    expect(observed[0]).toEqual(observed[1]);
    expect(['ACCORD_ERR_GUARD_SIZE_MISMATCH', 'ACCORD_ERR_GUARD_INPUT_TOO_SMALL']).toContain((observed[0] as { refused?: string }).refused);
  });

  /** The server's set returned as the protocol asks (re-blinded, sorted, with its sum); what the server answered. */
  async function returnServerSet(client: HostileClient, idType: string) {
    const serverSet = await client.fetch(idType, 'server-blinded');
    const sum = await client.fetch(idType, 'server-sum');
    if (!serverSet.ok || !sum.ok) throw new Error('the server set was not served');
    const returned = sortElements(await client.engine.reblind(serverSet.body, client.key), ELEMENT_BYTES).sorted;
    expect((await client.send(idType, 'server-double-full', returned)).status).toBe(200);
    return client.send(idType, 'server-double-sum', await client.engine.reblind(sum.body, client.key));
  }

  it('a target padded with random digests to the declared size gets no element-level answer, only the noisy release', async () => {
    for (const target of [MEMBER, NON_MEMBER]) {
      const client = await HostileClient.against(brand, partner, emailOnly);
      try {
        expect((await client.start(['email'], { email: 150 })).status).toBe(200);
        expect((await client.send('email', 'client-blinded', await client.blind(probeSet(target, 149), 'email'))).status).toBe(200);
        expect(await readHits(client, 'email'), target).toEqual({ refused: 'ACCORD_ERR_PSI_RUN_INVALID' });
        expect((await returnServerSet(client, 'email')).status).toBe(200);
        const finished = await client.finish();
        expect(finished.status).toBe(200);
        // The server drew the noise, charged ε to its own ledger and applied the minimum to the noisy count.
        expect(finished.body.release, target).toEqual({ released: false, reason: 'below-min-overlap' });
        const ledger = await partner.node.t.db.selectFrom('guard_decisions').select(['stage', 'outcome', 'epsilon_micros', 'details']).where('run_id', '=', client.runId).where('stage', '=', 'counts').executeTakeFirstOrThrow();
        expect(ledger).toMatchObject({ outcome: 'withheld', epsilon_micros: 1_000_000 });
        // The exact count is nowhere in what the server recorded.
        expect(ledger.details).toEqual({ minOverlap: 50, noise: { epsilon: 1, sensitivity: 1 } });
      } finally {
        client.close();
      }
    }
  });

  it('the multiplicity attack (one target as k matches) is refused by the sum check, though its length and elements pass', async () => {
    const k = 5;
    const client = await HostileClient.against(brand, partner, emailOnly);
    try {
      // H(t)^{a·m} for m = 1..k, padded to the declared 150.
      const target = await client.blind(digestOf(MEMBER), 'email');
      const variants = await Promise.all(Array.from({ length: k }, (_, m) => client.engine.reblind(target, scalar(m + 1, client))));
      const padding = await client.blind(new Uint8Array(randomBytes((150 - k) * ELEMENT_BYTES)), 'email');
      expect((await client.start(['email'], { email: 150 })).status).toBe(200);
      expect((await client.send('email', 'client-blinded', Buffer.concat([...variants, padding]))).status).toBe(200);
      // k variants H(s)^{b·a·m} of a random 150/k of the server's elements: 150 distinct valid elements.
      const serverSet = await client.fetch('email', 'server-blinded');
      const sum = await client.fetch('email', 'server-sum');
      if (!serverSet.ok || !sum.ok) throw new Error('the server set was not served');
      const doubled = await client.engine.reblind(serverSet.body, client.key);
      const chosen = Array.from({ length: 150 / k }, (_, i) => doubled.subarray(i * 5 * ELEMENT_BYTES, i * 5 * ELEMENT_BYTES + ELEMENT_BYTES));
      const returned = Buffer.concat(await Promise.all(chosen.flatMap((element) => Array.from({ length: k }, (_, m) => client.engine.reblind(element, scalar(m + 1, client))))));
      expect(TruncatedSet.from(truncate(returned, ELEMENT_BYTES)).size).toBe(150);
      expect((await client.send('email', 'server-double-full', returned)).status).toBe(200);
      expect(await client.send('email', 'server-double-sum', await client.engine.reblind(sum.body, client.key))).toMatchObject({ status: 422, code: 'ACCORD_ERR_PSI_RETURN_REFUSED' });
      // Nothing is counted or released for a run whose returned set failed the check.
      expect(await client.finish()).toMatchObject({ status: 409, code: 'ACCORD_ERR_PSI_RUN_NOT_READY' });
      expect(await partner.node.t.db.selectFrom('guard_decisions').select('stage').where('run_id', '=', client.runId).where('stage', '=', 'counts').execute()).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('count only over two identifier types: no per-person combination of matched types reaches the client', async () => {
    const client = await HostileClient.against(brand, partner, twoTypes);
    try {
      // Aligned by person, as the honest client sends them: position 0 matches on both types, 1 on email only, 2 on phone only.
      const emails = ['user1@example.com', 'user2@example.com', 'other3@example.com', ...Array.from({ length: 147 }, (_, i) => `pad${i}@example.com`)];
      const phones = [phoneOf(1), phoneOf(9_001), phoneOf(3), ...Array.from({ length: 147 }, (_, i) => phoneOf(10_000 + i))];
      const pack = (values: string[]) => Buffer.concat(values.map(digestOf));
      expect((await client.start(['email', 'phone'], { email: 150, phone: 150 })).status).toBe(200);
      expect((await client.send('email', 'client-blinded', await client.blind(pack(emails), 'email'))).status).toBe(200);
      expect((await client.send('phone', 'client-blinded', await client.blind(pack(phones), 'phone'))).status).toBe(200);
      for (const idType of ['email', 'phone']) expect(await readHits(client, idType), idType).toEqual({ refused: 'ACCORD_ERR_PSI_RUN_INVALID' });
      for (const idType of ['email', 'phone']) expect((await returnServerSet(client, idType)).status).toBe(200);
      // The only answer is the server's release: one noisy total (noise for two types), no figure per type.
      const finished = await client.finish();
      expect(finished.status).toBe(200);
      const release = finished.body.release!;
      expect(release.released ? release.byIdType : null).toBeNull();
      const ledger = await partner.node.t.db.selectFrom('guard_decisions').select(['epsilon_micros', 'details']).where('run_id', '=', client.runId).where('stage', '=', 'counts').executeTakeFirstOrThrow();
      expect(ledger.details).toMatchObject({ noise: { epsilon: 1, sensitivity: 2 } });
    } finally {
      client.close();
    }
  });
});

/** The scalar m as a key of the attacker's engine (little-endian, canonical for small m). */
function scalar(m: number, client: HostileClient) {
  const bytes = new Uint8Array(32);
  bytes[0] = m;
  return client.engine.importKey(bytes);
}

describe("what the server's release tells a one-target probe", () => {
  // The server's count for the probe: 1 when the target is a member, 0 when not, whatever padding.
  const epsilon = 1_000_000;
  const samples = 50_000;

  it('under the collaboration above (ε 1, minimum overlap 50): member and non-member are both withheld, alike', () => {
    const policy = parseGuardPolicy({ minOverlap: 50 });
    const member = releaseHistogram({ total: 1, sensitivity: 1 }, policy, epsilon, 1, samples);
    const nonMember = releaseHistogram({ total: 0, sensitivity: 1 }, policy, epsilon, 2, samples);
    expect(largestRatio(member, nonMember, 1_000)).toBeLessThanOrEqual(Math.E * 1.1);
    expect(member.get('withheld')).toBe(samples);
  });

  it('even at a minimum overlap of 1, every output is at most e^ε more likely for a member; exact counts tell them apart', () => {
    for (const types of [1, 2]) {
      const policy = parseGuardPolicy({ minOverlap: 1 });
      // With T types one person moves the count by up to T; the server's noise is scaled for it.
      const member = releaseHistogram({ total: types, sensitivity: types }, policy, epsilon, 10 + types, samples);
      const nonMember = releaseHistogram({ total: 0, sensitivity: types }, policy, epsilon, 20 + types, samples);
      const ratio = largestRatio(member, nonMember, 1_000);
      expect(ratio, `${types} types`).toBeLessThanOrEqual(Math.E * 1.1);
      // Not the same distribution: the member does shift it, by no more than the bound.
      expect(ratio, `${types} types`).toBeGreaterThan(1.5);
    }
    // The landed code's release (exact counts, computed by the client itself) separates them completely.
    const exact = parseGuardPolicy({ minOverlap: 1 });
    expect(largestRatio(releaseHistogram({ total: 1 }, exact, null, 3, 100), releaseHistogram({ total: 0 }, exact, null, 4, 100), 50)).toBe(Infinity);
  });
});
