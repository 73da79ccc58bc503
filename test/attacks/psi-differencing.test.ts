/**
 * Differencing: the brand runs a count-only collaboration on its people S, then on S plus one person
 * p, and subtracts. The brand holds user0..199, the partner user100..299, all consenting except that
 * p (user150) enters the brand's input only for the second run (consent decides who is in the input,
 * as a segment would). Under the landed defaults (no noise) the two releases were the exact counts
 * 99 and 100; now both are noisy, drawn and charged by the partner, mirrored in the brand's ledger,
 * and the release rule gives any output at most e^ε more often with p than without.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { parseGuardPolicy } from '../../core/guard/guard-policy.ts';
import { largestRatio, releaseHistogram } from './release-ratio.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, runEnded, seedMembers, startPsiNode, startRun, stopPsiNodes, withdrawConsent, type PsiPair, type PsiTestNode } from '../api/psi-fixtures.ts';

const P = 'user150@example.com';

describe.each(storageBackends)('differencing two count-only runs under the default terms on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let pair: PsiPair;
  let collaborationId: string;
  const countOnly = { outputs: { matchedToBrand: false, matchedToPartner: false }, idTypes: ['email'], minOverlap: 50 };

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    pair = await connectPsiNodes(brand, partner);
    await seedMembers(brand, emailsOf(0, 200).map((email) => ({ email })), ({ email }) => email !== P);
    await seedMembers(partner, emailsOf(100, 300).map((email) => ({ email })));
    // Nothing about noise or exact counts: whatever the defaults are.
    collaborationId = await approvedCollaboration(pair, countOnly);
  });

  afterAll(() => stopPsiNodes(brand, partner));

  it('S and then S with p: both counts carry noise charged to the budget on both nodes, so their difference does not tell p', async () => {
    const first = await runEnded(brand, await startRun(brand, collaborationId));
    await seedMembers(brand, [{ email: P }]);
    const second = await runEnded(brand, await startRun(brand, collaborationId));
    for (const run of [first, second]) {
      expect(run.error).toBeNull();
      expect(run.result!.decision).toMatchObject({ released: true, noise: { epsilon: expect.any(Number) } });
    }
    const spent = (n: PsiTestNode) => withTenant(n.node.t.db, n.node.tenantId, async (trx) => (await trx.selectFrom('guard_decisions').select('epsilon_micros').where('collaboration_id', '=', collaborationId).execute()).reduce((sum, row) => sum + Number(row.epsilon_micros), 0));
    expect(await spent(partner)).toBe(2_000_000);
    expect(await spent(brand)).toBe(await spent(partner));
    // What the partner's release rule makes of 99 and of 100 under these terms (ε 1, one type, minimum 50).
    const policy = parseGuardPolicy({ minOverlap: 50 });
    const without = releaseHistogram({ total: 99, sensitivity: 1 }, policy, 1_000_000, 5, 50_000);
    const withP = releaseHistogram({ total: 100, sensitivity: 1 }, policy, 1_000_000, 6, 50_000);
    const ratio = largestRatio(without, withP, 1_000);
    expect(ratio).toBeLessThanOrEqual(Math.E * 1.1);
    expect(ratio).toBeGreaterThan(1.5);
  });

  it('exact counts need every party to opt in; then a count within the minimum overlap of an earlier one is withheld', async () => {
    // The terms offer exact counts and the brand opts in; the partner approves without saying so.
    const partly = await approvedCollaboration(pair, { ...countOnly, exactCounts: true, partnerConstraints: () => ({ exactCounts: undefined }) });
    expect((await brand.node.call('GET', `/v1/collaborations/${partly}`)).body.effectiveTerms.noise).toEqual({ epsilonPerRun: 1, totalEpsilon: 10 });
    const exact = await approvedCollaboration(pair, { ...countOnly, exactCounts: true });
    expect((await brand.node.call('GET', `/v1/collaborations/${exact}`)).body.effectiveTerms.noise).toBeNull();

    // S with p (the first test added p), then S: exact 100, then 99 withheld, which the partner decided.
    const first = await runEnded(brand, await startRun(brand, exact));
    expect(first.result!.decision).toEqual({ released: true, total: 100, byIdType: null, cells: null, noise: null });
    await withdrawConsent(brand, [P]);
    const second = await runEnded(brand, await startRun(brand, exact));
    expect(second.result!.decision).toEqual({ released: false, reason: 'too-close-to-earlier-count' });
    const withheld = await withTenant(partner.node.t.db, partner.node.tenantId, (trx) => trx.selectFrom('guard_decisions').select(['outcome', 'reason', 'details']).where('run_id', '=', second.id).where('stage', '=', 'counts').executeTakeFirstOrThrow());
    expect(withheld).toEqual({ outcome: 'withheld', reason: 'too-close-to-earlier-count', details: { minOverlap: 50 } });
  });
});
