/**
 * Differencing: the brand runs a count-only collaboration on its people S, then on S plus one person
 * p, and subtracts. The brand holds user0..199, the partner user100..299, all consenting except that
 * p (user150) enters the brand's input only for the second run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, runEnded, seedMembers, startPsiNode, startRun, stopPsiNodes, type PsiTestNode } from '../api/psi-fixtures.ts';

const P = 'user150@example.com';

describe.each(storageBackends)('differencing two count-only runs under the default terms on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let collaborationId: string;

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    const pair = await connectPsiNodes(brand, partner);
    await seedMembers(brand, emailsOf(0, 200).map((email) => ({ email })), ({ email }) => email !== P);
    await seedMembers(partner, emailsOf(100, 300).map((email) => ({ email })));
    // Nothing about noise or exact counts: whatever the defaults are.
    collaborationId = await approvedCollaboration(pair, { outputs: { matchedToBrand: false, matchedToPartner: false }, idTypes: ['email'], minOverlap: 50 });
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
    expect(await spent(partner)).toBeGreaterThan(0);
    expect(await spent(brand)).toBe(await spent(partner));
  });
});
