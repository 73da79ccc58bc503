/**
 * The sync engine against platforms that misbehave (issue 12's bad-input list): rate limits, 5xx,
 * errors inside HTTP 200, a refused row, a removal refused for the minimum size, expired
 * credentials, and a withdrawal that arrives while a run is sending.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformConnectors } from '../../connectors/index.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import { fakePeople } from '../../connectors/contract-kit/fake-people.ts';
import type { FakeOptions } from '../../connectors/contract-kit/fake-platform.ts';
import { startTtdContractServer } from '../../connectors/ttd/contract-server.ts';
import { ttdAudiences } from '../../connectors/ttd/ttd-audiences.ts';
import { startMetaContractServer } from '../../connectors/meta/contract-server.ts';
import { metaAudiences } from '../../connectors/meta/meta-audiences.ts';
import { startTencentContractServer } from '../../connectors/tencent/contract-server.ts';
import { tencentAudiences } from '../../connectors/tencent/tencent-audiences.ts';
import { startTikTokContractServer } from '../../connectors/tiktok/contract-server.ts';
import { tiktokSegmentAudiences } from '../../connectors/tiktok/tiktok-segment-audiences.ts';
import type { ActivationDeps } from '../../core/activation/activation-deps.ts';
import type { AudienceConnector } from '../../core/activation/audience-connector.ts';
import { openCredentials } from '../../core/activation/sealed-credentials.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { queueBackends, waitFor } from '../support/job-runners.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { addDestination, finishedRun, MASTER_KEY, PURPOSE, seedAudience, setConsent, startActivationNode, type ActivationNode } from './activation-fixtures.ts';

const backends = storageBackends.flatMap((storage) => queueBackends.map((queue) => [storage, queue] as const));
const people = fakePeople(12);
/** Tencent audiences hold one id type (the 11-digit mainland mobile): people with one. */
const mainland = fakePeople(18).filter((person) => person.phone.startsWith('+86')).slice(0, 12);

describe.each(backends)('sync runs against misbehaving platforms on %s with the %s runner', (storage, queue) => {
  let t: TestDatabase;
  let server: ContractServer | undefined;
  let node: ActivationNode | undefined;

  beforeAll(async () => {
    t = await openTestDatabase(storage);
  });
  afterAll(() => t.dispose());
  afterEach(async () => {
    await node?.close();
    await server?.close();
    node = server = undefined;
  });

  /** A node whose only platform is `name`, served by a fresh contract server; a new tenant each time, so ledgers start empty. */
  async function start(name: string, connector: AudienceConnector, startServer: PlatformConnectors['startContractServer'], options: FakeOptions = {}, engine: Partial<ActivationDeps> = {}) {
    const audience = options.people ?? people;
    server = await startServer({ people: audience, ...options });
    node = await startActivationNode(t, queue, [{ name, platform: { audiences: [connector], startContractServer: startServer }, server }], engine);
    const { segmentId, persons } = await seedAudience(t, node, audience);
    const destinationId = await addDestination(node, server, connector.destination);
    const sync = (await node.call('POST', '/v1/syncs', { name: 'Spring fans', audience: { segmentId }, destinations: [{ id: destinationId }], purpose: PURPOSE, regime: 'ccpa' })).body;
    const run = async () => finishedRun(node!, sync.id, (await node!.call('POST', `/v1/syncs/${sync.id}/runs`)).body.run.id);
    const audienceSize = async () => server!.state.audiences.size((await node!.call('GET', `/v1/syncs/${sync.id}`)).body.destinations[0].platformAudienceId);
    return { segmentId, persons, destinationId, syncId: sync.id as number, run, audienceSize };
  }
  const dropFromSegment = (segmentId: number, persons: readonly number[]) =>
    withTenant(t.db, node!.tenantId, (trx) => trx.deleteFrom('segment_members').where('segment_id', '=', segmentId).where('person_id', 'in', [...persons]).execute());

  it('replaces the whole audience where the platform removes only that way, after a 5xx', async () => {
    const s = await start('ttd', ttdAudiences({ minimumRecords: 1 }), startTtdContractServer, { minimumSize: 1 });
    expect(await s.run()).toMatchObject({ state: 'done', destinations: [{ added: 12 }] });
    expect(await s.audienceSize()).toBe(12);
    await dropFromSegment(s.segmentId, s.persons.slice(0, 3));
    server!.inject({ kind: 'unavailable' });
    expect(await s.run()).toMatchObject({ state: 'done', destinations: [{ plannedRemoves: 3, removed: 3 }] });
    expect(await s.audienceSize()).toBe(9);
  });

  it('puts a chunk off when the platform asks for a longer wait than a worker holds', async () => {
    const s = await start('meta', metaAudiences({ minimumSize: 3 }), startMetaContractServer, { minimumSize: 3 }, { policy: { attempts: 4, maxWaitMs: 5_000, baseBackoffMs: 20 } });
    // Meta says when the budget comes back in minutes: the chunk is queued again for then.
    server!.limitRate({ calls: 1, windowSeconds: 60 });
    await node!.call('POST', `/v1/syncs/${s.syncId}/runs`);
    const deferred = await waitFor(() => withTenant(t.db, node!.tenantId, async (trx) => {
      const jobs = await trx.selectFrom('jobs').select(['payload', 'run_at']).where('name', '=', 'activation.chunk').where('status', '=', 'pending').execute();
      return jobs.find((job) => (job.payload as { deferrals?: number }).deferrals === 1);
    }), 'the chunk to be put off');
    expect(deferred.run_at.getTime()).toBeGreaterThan(Date.now() + 30_000);
  });

  it('retries a 5xx and a retryable error inside HTTP 200', async () => {
    const s = await start('tencent', tencentAudiences(), startTencentContractServer, { people: mainland });
    server!.inject({ kind: 'unavailable' });
    server!.inject({ kind: 'error_in_200', code: 11017 });
    const run = await s.run();
    expect(run.state).toBe('done');
    expect(run.destinations[0]).toMatchObject({ added: 12, deadLettered: 0, match: { matched: expect.any(Number) } });
    // Both faults were met (by the audience's creation and the upload) and retried.
    expect(server!.state.faults.nextCall()).toBeUndefined();
  });

  it('fails the destination on a refusal inside HTTP 200 and dead-letters its rows with the reason', async () => {
    const s = await start('tencent', tencentAudiences(), startTencentContractServer, { people: mainland });
    expect((await s.run()).state).toBe('done');
    await dropFromSegment(s.segmentId, s.persons.slice(0, 2));
    server!.inject({ kind: 'error_in_200', code: 31060 });
    const run = await s.run();
    expect(run).toMatchObject({ state: 'failed', destinations: [{ state: 'failed', removed: 0, deadLettered: 2 }] });
    expect(run.destinations[0].error).toContain('ACCORD_ERR_PLATFORM_REFUSED');
    expect(run.deadLetters.map((d: { reason: string; op: string }) => [d.op, d.reason])).toEqual([['remove', 'ACCORD_ERR_PLATFORM_REFUSED'], ['remove', 'ACCORD_ERR_PLATFORM_REFUSED']]);
    // Nothing was recorded as removed: the next run removes them.
    const again = await s.run();
    expect(again).toMatchObject({ state: 'done', destinations: [{ plannedRemoves: 2, removed: 2 }] });
  });

  it('dead-letters the one row a platform refuses and keeps the rest (named per row, and isolated by splitting)', async () => {
    const meta = await start('meta', metaAudiences({ minimumSize: 3 }), startMetaContractServer, { minimumSize: 3 });
    server!.inject({ kind: 'reject_row', index: 4 });
    const perRow = await meta.run();
    expect(perRow).toMatchObject({ state: 'partial', destinations: [{ added: 11, deadLettered: 1 }] });
    expect(perRow.deadLetters).toEqual([expect.objectContaining({ personId: meta.persons[4], reason: 'platform_rejected_row' })]);
    await node!.close();
    await server!.close();

    const tiktok = await start('tiktok', tiktokSegmentAudiences(), startTikTokContractServer);
    // TikTok refuses the whole call for one bad row without naming it: halves are sent until the
    // row stands alone. The fake refuses, call by call, wherever the bad row (the sixth) then is.
    for (const index of [5, 5, 99, 2, 99, 0, 99]) server!.inject({ kind: 'reject_row', index });
    const split = await tiktok.run();
    expect(split).toMatchObject({ state: 'partial', destinations: [{ added: 11, deadLettered: 1 }] });
    expect(split.deadLetters).toEqual([expect.objectContaining({ personId: tiktok.persons[5], reason: 'platform_refused' })]);
    expect(split.destinations[0].requests).toBe(7);
    expect(await tiktok.audienceSize()).toBe(11);
  });

  it('never sends a removal the platform would refuse for its minimum size: the members are kept and marked', async () => {
    // The connector knows the minimum (3): a removal leaving 2 is not sent.
    const known = await start('meta', metaAudiences({ minimumSize: 3 }), startMetaContractServer, { minimumSize: 3 });
    await known.run();
    await dropFromSegment(known.segmentId, known.persons.slice(0, 10));
    const refusedAhead = await known.run();
    expect(refusedAhead).toMatchObject({ state: 'partial', destinations: [{ plannedRemoves: 10, removed: 0, keptForMinimumSize: 10, requests: 0 }] });
    expect(await known.audienceSize()).toBe(12);
    await node!.close();
    await server!.close();

    // The platform enforces a minimum the connector did not know (10): its refusal marks them too.
    const unknown = await start('meta', metaAudiences({ minimumSize: 1 }), startMetaContractServer, { minimumSize: 10 });
    await unknown.run();
    await dropFromSegment(unknown.segmentId, unknown.persons.slice(0, 4));
    const refused = await unknown.run();
    expect(refused).toMatchObject({ state: 'partial', destinations: [{ removed: 0, keptForMinimumSize: 4 }] });
    const states = await withTenant(t.db, node!.tenantId, (trx) => trx.selectFrom('activation_members').select('state').where('person_id', 'in', unknown.persons.slice(0, 4)).execute());
    expect(states.map((s) => s.state)).toEqual(['kept', 'kept', 'kept', 'kept']);
  });

  it('refreshes expired credentials where the platform allows and seals the new ones; fails clearly where it does not', async () => {
    const tencent = await start('tencent', tencentAudiences(), startTencentContractServer, { people: mainland });
    server!.expireTokens();
    expect((await tencent.run()).state).toBe('done');
    const stored = await withTenant(t.db, node!.tenantId, (trx) => trx.selectFrom('activation_destinations').select(['platform', 'account_id', 'credentials_sealed']).where('id', '=', tencent.destinationId).executeTakeFirstOrThrow());
    const opened = openCredentials(MASTER_KEY, { tenantId: node!.tenantId, platform: stored.platform, accountId: stored.account_id }, stored.credentials_sealed);
    expect(opened.accessToken).not.toBe(server!.credentials.accessToken);
    await node!.close();
    await server!.close();

    const meta = await start('meta', metaAudiences({ minimumSize: 3 }), startMetaContractServer, { minimumSize: 3 });
    await meta.run();
    server!.expireTokens();
    await dropFromSegment(meta.segmentId, meta.persons.slice(0, 1));
    const run = await meta.run();
    expect(run).toMatchObject({ state: 'failed', destinations: [{ state: 'failed', removed: 0 }] });
    expect(run.destinations[0].error).toContain('ACCORD_ERR_PLATFORM_AUTH');
    expect(run.deadLetters).toEqual([expect.objectContaining({ personId: meta.persons[0], op: 'remove', reason: 'ACCORD_ERR_PLATFORM_AUTH' })]);
  });

  it('a person withdrawn while a run is sending leaves in no later batch, and one sent before is removed', async () => {
    const inner = metaAudiences({ minimumSize: 3 });
    let persons: number[] = [];
    let withdrawn = false;
    // The withdrawal commits while the first chunk's upload is on its way.
    const racing: AudienceConnector = {
      ...inner,
      upload: async (ctx, audience, batch) => {
        if (!withdrawn && batch.op === 'add') {
          withdrawn = true;
          await setConsent(t, node!, [persons[0]!, persons[11]!], 'withdrawn');
        }
        return inner.upload(ctx, audience, batch);
      },
    };
    const s = await start('meta', racing, startMetaContractServer, { minimumSize: 3 }, { chunkSize: 4 });
    persons = s.persons;
    const run = await s.run();
    // Person 11's chunk is gated after the withdrawal; person 0's was gated before it, or (when another chunk uploaded first) after.
    const { added, consentExcluded } = run.destinations[0];
    expect([added + consentExcluded, consentExcluded >= 1]).toEqual([12, true]);
    // Person 11 was never sent. Person 0, if its batch was on its way, is queued for removal: by the
    // batch's own re-check, or by the withdrawal's job if the batch was written first.
    const ledger = await waitFor(async () => {
      const rows = await withTenant(t.db, node!.tenantId, (trx) => trx.selectFrom('activation_members').select(['person_id', 'state']).where('person_id', 'in', [persons[0]!, persons[11]!]).execute());
      return rows.every((row) => row.state !== 'present') ? rows : undefined;
    }, 'the removal of the person withdrawn mid-run to be queued');
    expect(ledger.map((row) => Number(row.person_id))).toEqual(consentExcluded === 1 ? [persons[0]] : []);
  });
});
