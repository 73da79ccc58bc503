/**
 * The OPRF modes between two nodes: unbalanced (the partner answers from a set blinded once per key
 * epoch, as a Golomb-coded set) and PSI with payload (the brand opens the partner's tag values of its
 * matches, and only of its matches).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTag } from '../../core/tags/tag-definitions.ts';
import { setStaticTagValues } from '../../core/tags/set-static-tag-values.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedCollaboration, connectPsiNodes, emailsOf, grantConsent, matchedEmails, personsByEmail, runEnded, seedMembers, startPsiNode, stopPsiNodes, withdrawConsent, type PsiPair, type PsiTestNode } from './psi-fixtures.ts';

describe.each(storageBackends)('OPRF-mode PSI runs on %s', (backend) => {
  let brand: PsiTestNode;
  let partner: PsiTestNode;
  let pair: PsiPair;

  beforeAll(async () => {
    brand = await startPsiNode(backend, 'Brand');
    partner = await startPsiNode(backend, 'Data provider');
    pair = await connectPsiNodes(brand, partner);
    // Brand 0..59, partner 30..129: 30 in common by email.
    await seedMembers(brand, emailsOf(0, 60).map((email) => ({ email })));
    await seedMembers(partner, emailsOf(30, 130).map((email) => ({ email })));
    // Read before the transaction: PGlite has one connection, and a second transaction would wait on the first.
    const persons = await personsByEmail(partner);
    await withTenant(partner.node.t.db, partner.node.tenantId, async (trx) => {
      await defineTag(trx, { key: 'interest', kind: 'static', valueType: 'text', multiValued: false, description: 'Main interest', owner: 'data team' }, 'test');
      await defineTag(trx, { key: 'income_band', kind: 'static', valueType: 'text', multiValued: false, description: 'Not shared', owner: 'data team' }, 'test');
      await setStaticTagValues(trx, 'interest', [...persons].map(([email, personId]) => ({ personId, value: `interest-of-${email}` })), 'test');
      await setStaticTagValues(trx, 'income_band', [...persons].map(([, personId]) => ({ personId, value: 'high' })), 'test');
    });
  });

  afterAll(() => stopPsiNodes(brand, partner));

  const startRun = async (collaborationId: string, mode: 'balanced' | 'unbalanced') => {
    const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId, mode });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return started.body.id as string;
  };

  it('answers unbalanced runs from the epoch cache, and a withdrawal still counts in the next run', async () => {
    const collaborationId = await approvedCollaboration(pair, { idTypes: ['email'], exactCounts: true });
    const first = await runEnded(brand, await startRun(collaborationId, 'unbalanced'));
    expect(first.error).toBeNull();
    expect(first).toMatchObject({ status: 'finished', mode: 'unbalanced' });
    expect(first.result!.decision).toMatchObject({ released: true, total: 30 });
    expect((await matchedEmails(brand, first.id)).map((m) => m.email)).toEqual(emailsOf(30, 60).sort());

    await withdrawConsent(partner, emailsOf(30, 35));
    const second = await runEnded(brand, await startRun(collaborationId, 'unbalanced'));
    expect(second.result!.decision).toMatchObject({ released: true, total: 25 });
    const serverRun = await withTenant(partner.node.t.db, partner.node.tenantId, (trx) => trx.selectFrom('psi_runs').select('progress').where('id', '=', second.id).executeTakeFirstOrThrow());
    // Every element of the second run came from the cache the first one left.
    expect(serverRun.progress).toMatchObject({ reusedFromEpoch: 95 });
    const cached = await withTenant(partner.node.t.db, partner.node.tenantId, (trx) => trx.selectFrom('psi_epoch_sets').select('fingerprints').execute());
    expect(cached.reduce((n, row) => n + row.fingerprints.length / 16, 0)).toBe(95);

    // Revoking the collaboration (here by the brand) erases the partner's epoch key and cached set.
    expect((await brand.node.call('POST', `/v1/collaborations/${collaborationId}/revoke`, { reason: 'campaign over' })).status).toBe(200);
    await waitFor(async () => {
      const epochs = await withTenant(partner.node.t.db, partner.node.tenantId, (trx) => trx.selectFrom('psi_key_epochs').select('id').execute());
      const sets = await withTenant(partner.node.t.db, partner.node.tenantId, (trx) => trx.selectFrom('psi_epoch_sets').select('seq').execute());
      return epochs.length === 0 && sets.length === 0 ? true : undefined;
    }, 'epochs erased on the partner');
  });

  it('opens the named partner tags of the matches only', async () => {
    const collaborationId = await approvedCollaboration(pair, { idTypes: ['email'], outputs: { matchedToBrand: true, matchedToPartner: false, tagEnrichment: { tags: ['interest'] } } as never });
    const run = await runEnded(brand, await startRun(collaborationId, 'balanced'));
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'finished', mode: 'payload' });
    const matches = await brand.node.call('GET', `/v1/psi/runs/${run.id}/matches?limit=1000`);
    const emailOf = new Map([...(await personsByEmail(brand))].map(([email, person]) => [person, email]));
    const items = matches.body.items as Array<{ personId: number; partnerTags: Record<string, unknown> | null }>;
    // The five who withdrew from matching with this recipient stay out.
    expect(items).toHaveLength(25);
    for (const item of items) expect(item.partnerTags).toEqual({ interest: `interest-of-${emailOf.get(item.personId)}` });

    // A brand member who withdraws after the run takes their partner tags out of every later read; consenting again brings them back.
    const read = async () => (await brand.node.call('GET', `/v1/psi/runs/${run.id}/matches?limit=1000`)).body as { items: Array<{ personId: number; partnerTags: unknown }>; excluded: number };
    await withdrawConsent(brand, ['user40@example.com']);
    const withdrawn = await read();
    expect(withdrawn.excluded).toBe(1);
    expect(withdrawn.items).toHaveLength(24);
    expect(withdrawn.items.map((item) => emailOf.get(item.personId))).not.toContain('user40@example.com');
    await grantConsent(brand, ['user40@example.com']);
    const back = await read();
    expect(back).toMatchObject({ excluded: 0 });
    expect(back.items.find((item) => emailOf.get(item.personId) === 'user40@example.com')?.partnerTags).toEqual({ interest: 'interest-of-user40@example.com' });
  });

  it('refuses unbalanced runs to a client that may learn only the count', async () => {
    // The epoch key answers every run alike: run after run, a count-only client could test one new person at a time.
    const collaborationId = await approvedCollaboration(pair, { idTypes: ['email'], outputs: { matchedToBrand: false, matchedToPartner: false } });
    const run = await runEnded(brand, await startRun(collaborationId, 'unbalanced'));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/count-only client runs balanced/);
  });

  it('refuses the OPRF modes on the X25519 suite, which cannot unblind', async () => {
    const collaborationId = await approvedCollaboration(pair, { idTypes: ['email'], suite: 'x25519-elligator2' });
    const run = await runEnded(brand, await startRun(collaborationId, 'unbalanced'));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/ristretto255/);
    expect(run.result).toBeNull();
  });
});
