import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakePeople } from '../../connectors/contract-kit/fake-people.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { startMetaContractServer } from '../../connectors/meta/contract-server.ts';
import { metaAudiences } from '../../connectors/meta/meta-audiences.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { consentSubjectOf } from '../../core/one-id/person-subject.ts';
import { eraseSubject } from '../../core/privacy/erase-subject.ts';
import { readRemovals } from '../../core/privacy/privacy-request-removals.ts';
import { subjectExportSections } from '../../core/privacy/subject-export-sections.ts';
import { SubjectVault } from '../../core/privacy/subject-vault.ts';
import { erasureInProgress } from '../core/privacy/resolved-persons.ts';
import { queueBackends, waitFor } from '../support/job-runners.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { addDestination, finishedRun, MASTER_KEY, PURPOSE, seedAudience, setConsent, startActivationNode, type ActivationNode } from './activation-fixtures.ts';

const backends = storageBackends.flatMap((storage) => queueBackends.map((queue) => [storage, queue] as const));

describe.each(backends)('syncs through the API on %s with the %s runner', (storage, queue) => {
  let t: TestDatabase;
  let server: ContractServer;
  let node: ActivationNode;
  const people = fakePeople(12);

  beforeAll(async () => {
    t = await openTestDatabase(storage);
  });
  afterAll(() => t.dispose());
  beforeEach(async () => {
    server = await startMetaContractServer({ people, minimumSize: 3 });
    node = await startActivationNode(t, queue, [{ name: 'meta', platform: { audiences: [metaAudiences({ minimumSize: 3 })], startContractServer: startMetaContractServer }, server }]);
  });
  afterEach(async () => {
    await node.close();
    await server.close();
  });

  const sizeAt = (syncId: number) => async () => {
    const sync = (await node.call('GET', `/v1/syncs/${syncId}`)).body;
    return server.state.audiences.size(sync.destinations[0].platformAudienceId);
  };

  it('previews, runs, joins a second start, and removes a person who withdraws', async () => {
    const { segmentId, persons } = await seedAudience(t, node, people);
    const destinationId = await addDestination(node, server, 'meta');
    const listed = (await node.call('GET', '/v1/destinations')).body.destinations;
    expect(listed.at(-1)).toMatchObject({ id: destinationId, platform: 'meta', status: 'active' });
    expect(JSON.stringify(listed)).not.toContain(server.credentials.accessToken);

    const created = await node.call('POST', '/v1/syncs', { name: 'Spring fans', audience: { segmentId }, destinations: [{ id: destinationId }], purpose: PURPOSE, regime: 'ccpa' });
    expect(created.status).toBe(201);
    const syncId = created.body.id;
    const preview = (await node.call('POST', `/v1/syncs/${syncId}/preview`)).body.destinations[0];
    expect(preview).toMatchObject({ audienceMembers: 12, consented: 12, adds: 12, removes: 0, onPlatform: 0 });
    expect(preview.membersByIdType.EMAIL).toBe(12);

    const [first, second] = await Promise.all([node.call('POST', `/v1/syncs/${syncId}/runs`), node.call('POST', `/v1/syncs/${syncId}/runs`)]);
    expect([first.status, second.status].sort()).toEqual([200, 202]);
    expect(first.body.run.id).toBe(second.body.run.id);
    const run = await finishedRun(node, syncId, first.body.run.id);
    expect(run).toMatchObject({ state: 'done', destinations: [{ plannedAdds: 12, added: 12, deadLettered: 0 }] });
    expect(await sizeAt(syncId)()).toBe(12);

    // A second run sends nothing: the ledger says everyone is there.
    const again = (await node.call('POST', `/v1/syncs/${syncId}/runs`)).body.run;
    expect(await finishedRun(node, syncId, again.id)).toMatchObject({ state: 'done', destinations: [{ plannedAdds: 0, plannedRemoves: 0, requests: 0 }] });

    await setConsent(t, node, [persons[0]!], 'withdrawn');
    const ledger = await waitFor(async () => {
      const row = await withTenant(t.db, node.tenantId, (trx) => trx.selectFrom('activation_members').select(['state', 'removal_reason', 'ids_sealed']).where('person_id', '=', persons[0]!).executeTakeFirstOrThrow());
      return row.state === 'removed' ? row : undefined;
    }, 'the withdrawal to reach Meta');
    expect(await sizeAt(syncId)()).toBe(11);
    expect(ledger).toMatchObject({ state: 'removed', removal_reason: 'withdrawal', ids_sealed: null });
  });

  it('erasure queues the removal at every destination, shows its status per destination, and the access export lists where the person was sent', async () => {
    const { segmentId, persons } = await seedAudience(t, node, people);
    const destinationId = await addDestination(node, server, 'meta');
    const syncId = (await node.call('POST', '/v1/syncs', { name: 'Spring fans', audience: { segmentId }, destinations: [{ id: destinationId }], purpose: PURPOSE, regime: 'ccpa' })).body.id;
    await finishedRun(node, syncId, (await node.call('POST', `/v1/syncs/${syncId}/runs`)).body.run.id);
    const subject = consentSubjectOf(persons[2]!);
    const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(t.db, node.tenantId, work);
    const exported = async () => {
      const section = subjectExportSections(new SubjectVault(MASTER_KEY)).find((s) => s.name === 'adDestinations')!;
      const items: unknown[] = [];
      for await (const page of section.pages(inTenant, subject)) items.push(...page);
      return items;
    };
    expect(await exported()).toEqual([expect.objectContaining({ platform: 'meta', sync: 'Spring fans', state: 'on the platform', removedAt: null })]);

    const request = await inTenant((trx) => erasureInProgress(trx, subject));
    const outcome = await inTenant((trx) => eraseSubject(trx, { vault: new SubjectVault(MASTER_KEY), identifiers: new IdentifierKeys(MASTER_KEY) }, request, []));
    expect(outcome.removals).toContainEqual({ store: 'activation_members', status: 'queued', removed: 1 });
    node.runner.wake();
    const removals = await waitFor(async () => {
      const rows = await inTenant((trx) => readRemovals(trx, request.id));
      return rows.find((row) => row.store === `activation_destination:${destinationId}` && row.status === 'done') ? rows : undefined;
    }, 'the erasure to reach Meta');
    expect(removals).toContainEqual(expect.objectContaining({ store: `activation_destination:${destinationId}`, status: 'done', removed: 1 }));
    expect(await sizeAt(syncId)()).toBe(11);
    expect(await exported()).toEqual([expect.objectContaining({ platform: 'meta', state: 'removed', removalReason: 'erasure', removedAt: expect.any(Date) })]);
  });
});
