/**
 * PSI between two nodes over real HTTP: the brand starts a run on an approved collaboration, the
 * partner node answers; the guard, the consent gate and the processing records are in force on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, PURPOSE, RECIPIENT, runEnded, seedMembers, startPsiNode, stopPsiNodes, type PsiTestNode } from './psi-fixtures.ts';

describe.each(storageBackends)('PSI runs between two nodes on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let collaborationId: string;

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Ocean Engine');
    const pair = await connectPsiNodes(brand, partner);
    // Brand: 0..399 (people 0..299 consent); partner: 150..649 (all consent). Overlap of consenting: 150..299 = 150 by email.
    await seedMembers(brand, emailsOf(0, 400).map((email) => ({ email })), ({ email }) => Number(/\d+/.exec(email)![0]) < 300);
    await seedMembers(partner, emailsOf(150, 650).map((email) => ({ email })));
    collaborationId = await approvedCollaboration(pair, { minOverlap: 100, runBudget: 100, maxRunsPerDay: 10, exactCounts: true });
  });

  afterAll(() => stopPsiNodes(brand, partner));

  it('finds the consented overlap, releases the matched members to the brand only, and records it on both nodes', async () => {
    const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId });
    expect(started.status).toBe(202);
    const run = await runEnded(brand, started.body.id);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'finished', role: 'client', clientLearnsMembers: true, serverLearnsMembers: false });
    expect(run.result!.decision).toMatchObject({ released: true, total: 150 });
    expect(run.result!.membersStored).toBe(150);
    const matches = await brand.node.call('GET', `/v1/psi/runs/${started.body.id}/matches?limit=1000`);
    expect(matches.body.items).toHaveLength(150);

    const serverRun = await runEnded(partner, started.body.id);
    expect(serverRun).toMatchObject({ status: 'finished', role: 'server', serverLearnsMembers: false });
    expect(serverRun.result!.membersStored).toBe(0);
    const records = await partner.node.call('GET', `/v1/processing-records?limit=50`);
    expect(records.body.items.some((r: { activity: string }) => r.activity === 'psi.run')).toBe(true);
  });

  it('releases nothing when the overlap is below the minimum', async () => {
    // The partner withdraws most consents: only 20 of the overlap stay allowed.
    await withTenant(partner.node.t.db, partner.node.tenantId, async (trx) => {
      const persons = await trx.selectFrom('persons').select('id').orderBy('id').execute();
      const events = persons.slice(20).map((p) => ({ clientEventId: `withdraw-${p.id}`, subject: `person:${p.id}`, purpose: PURPOSE, recipient: RECIPIENT, regime: 'pipl' as const, kind: 'withdrawn' as const, channel: 'app', source: 'settings', collectedAt: new Date() }));
      for (let i = 0; i < events.length; i += 500) await recordConsentEvents(trx, events.slice(i, i + 500));
    });
    const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId });
    const run = await runEnded(brand, started.body.id);
    expect(run.status).toBe('finished');
    expect(run.result!.decision).toEqual({ released: false, reason: 'below-min-overlap' });
    expect(run.result!.membersStored).toBe(0);
    expect((await brand.node.call('GET', `/v1/psi/runs/${started.body.id}/matches`)).body.items).toEqual([]);
    // The partner was told only that the brand's guard withheld the count: it records a withheld decision, no figure.
    const serverRun = await runEnded(partner, started.body.id);
    expect(serverRun.result!.decision).toEqual({ released: false, reason: 'below-min-overlap' });
    const ledger = await withTenant(partner.node.t.db, partner.node.tenantId, (trx) => trx.selectFrom('guard_decisions').select(['stage', 'outcome', 'details']).where('run_id', '=', started.body.id).execute());
    expect(JSON.stringify(ledger)).not.toMatch(/"total":\s*[1-9]/);
  });

  it('refuses a run on a revoked collaboration', async () => {
    expect((await partner.node.call('POST', `/v1/collaborations/${collaborationId}/revoke`, { reason: 'paused' })).status).toBe(200);
    await waitFor(async () => ((await brand.node.call('GET', `/v1/collaborations/${collaborationId}`)).body.status === 'revoked' ? true : undefined), 'revocation delivered');
    const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId });
    expect(started.status).toBe(409);
    expect(started.body.code).toBe('ACCORD_ERR_COLLABORATION_REVOKED');
  });
});
