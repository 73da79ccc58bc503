/**
 * Attack 2 of attacks-confirmed.md: a stored matched audience outlives the erasure and the
 * withdrawal of the people in it. The brand holds user0..39, the partner user20..79, the terms give
 * the brand its members: one run stores 20 matches. Then one matched person is erased through the
 * privacy-request API and another withdraws consent for the collaboration's purpose and recipient.
 * Whatever the brand reads of that stored run afterwards must leave both out, and say only how many
 * were left out; a fresh run (the gate at input) is the control.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBJECT_ERASED_JOB } from '../../core/privacy/erase-subject.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import {
  approvedCollaboration,
  connectPsiNodes,
  emailsOf,
  grantConsent,
  matchedEmails,
  runEnded,
  seedMembers,
  startPsiNode,
  startRun,
  stopPsiNodes,
  withdrawConsent,
  type PsiTestNode,
} from '../api/psi-fixtures.ts';

describe.each(storageBackends)('stored matched audiences after erasure and withdrawal on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let collaborationId: string;
  let runId: string;
  let persons: Map<string, number>;
  const erased = 'user20@example.com';
  const withdrawn = 'user21@example.com';

  const matchesPage = async (id: string) => {
    const response = await brand.node.call('GET', `/v1/psi/runs/${id}/matches?limit=1000`);
    expect(response.status).toBe(200);
    return response.body as { items: { personId: number }[]; excluded: number };
  };

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    const pair = await connectPsiNodes(brand, partner);
    persons = await seedMembers(brand, emailsOf(0, 40).map((email) => ({ email })));
    await seedMembers(partner, emailsOf(20, 80).map((email) => ({ email })));
    collaborationId = await approvedCollaboration(pair, { idTypes: ['email'], minOverlap: 10 });
    runId = (await runEnded(brand, await startRun(brand, collaborationId))).id;
    expect((await matchedEmails(brand, runId)).map((m) => m.email)).toEqual(emailsOf(20, 40).sort());
  });

  afterAll(() => stopPsiNodes(brand, partner));

  it('an erased person is gone from the stored matches', async () => {
    const subject = `person:${persons.get(erased)!}`;
    const created = await brand.node.call('POST', '/v1/privacy-requests', { kind: 'erasure', regime: 'pipl', subject });
    const id = created.body.id as string;
    await brand.node.call('POST', `/v1/privacy-requests/${id}/transitions`, { to: 'verifying' });
    await brand.node.call('POST', `/v1/privacy-requests/${id}/transitions`, { to: 'in_progress', verification: { method: 'id_card_check', reference: 'ticket-1' } });
    const erasure = await brand.node.call('POST', `/v1/privacy-requests/${id}/erasure`, {});
    expect(erasure.status).toBe(200);
    expect(erasure.body.request.status).toBe('completed');
    const removals = [
      { store: 'activation_members', status: 'done', removed: 0 },
      { store: 'psi_match_payloads', status: 'done', removed: 0 },
      { store: 'psi_matches', status: 'done', removed: 1 },
      { store: 'segment_members', status: 'done', removed: 0 },
    ];
    expect(erasure.body.removals).toEqual(expect.arrayContaining(removals));
    expect((await brand.node.call('GET', `/v1/privacy-requests/${id}`)).body.removals).toEqual(removals.map((removal) => ({ ...removal, updatedAt: expect.any(String) })));
    const jobId = erasure.body.jobId as string;
    await waitFor(async () => {
      const job = await brand.node.t.db.selectFrom('jobs').select('status').where('id', '=', jobId).where('name', '=', SUBJECT_ERASED_JOB).executeTakeFirst();
      return job?.status === 'completed' ? true : undefined;
    }, 'the subject.erased job');

    const page = await matchesPage(runId);
    expect(page.items).toHaveLength(19);
    expect(page.items.map((item) => item.personId)).not.toContain(persons.get(erased));
    // Removed, not hidden: no row is left to exclude.
    expect(page.excluded).toBe(0);
    const left = await withTenant(brand.node.t.db, brand.node.tenantId, (trx) => trx.selectFrom('psi_matches').select('run_id').where('person_id', '=', persons.get(erased)!).execute());
    expect(left).toEqual([]);
  });

  it('a withdrawn person is left out of every later read, and counted, not named', async () => {
    await withdrawConsent(brand, [withdrawn]);
    const page = await matchesPage(runId);
    expect(page.items).toHaveLength(18);
    expect(page.items.map((item) => item.personId)).not.toContain(persons.get(withdrawn));
    expect(page.excluded).toBe(1);

    // The control: a fresh run's gate at input leaves both out too.
    const fresh = await runEnded(brand, await startRun(brand, collaborationId));
    expect((await matchedEmails(brand, fresh.id)).map((m) => m.email)).toEqual(emailsOf(22, 40).sort());
  });

  it('a renewed consent brings the withdrawn person back into the stored run', async () => {
    await grantConsent(brand, [withdrawn]);
    const page = await matchesPage(runId);
    expect(page.items).toHaveLength(19);
    expect(page.items.map((item) => item.personId)).toContain(persons.get(withdrawn));
    expect(page.excluded).toBe(0);
  });
});
