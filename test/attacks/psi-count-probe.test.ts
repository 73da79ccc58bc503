/**
 * Attack 1 of reference/attacks-confirmed.md and its variants: a modified brand client probes
 * whether one person is in the partner's set through a count-only collaboration. The partner holds
 * user0..149 (email and phone), all consenting; the collaboration releases the overlap count only.
 * The attacker skips its own guard and tells the server nothing was released.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchIndices, truncate, TruncatedSet } from '../../crypto/psi/compare.ts';
import { ELEMENT_BYTES } from '../../crypto/psi/suites.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, phoneOf, seedMembers, startPsiNode, stopPsiNodes, type PsiPair, type PsiTestNode } from '../api/psi-fixtures.ts';
import { digestOf, HostileClient } from './hostile-psi-client.ts';

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
    const countOnly = { outputs: { matchedToBrand: false, matchedToPartner: false }, minOverlap: 50 };
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

  it('a target padded with random digests to the declared size gets no element-level answer', async () => {
    for (const target of [MEMBER, NON_MEMBER]) {
      const client = await HostileClient.against(brand, partner, emailOnly);
      try {
        expect((await client.start(['email'], { email: 150 })).status).toBe(200);
        expect((await client.send('email', 'client-blinded', await client.blind(probeSet(target, 149), 'email'))).status).toBe(200);
        expect(await readHits(client, 'email'), target).toEqual({ refused: 'ACCORD_ERR_PSI_RUN_INVALID' });
      } finally {
        client.close();
      }
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
    } finally {
      client.close();
    }
  });
});
