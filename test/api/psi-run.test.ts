/**
 * PSI between two nodes over real HTTP: the brand starts a run on an approved collaboration, the
 * partner node answers; the guard, the consent gate and the processing records are in force on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeJobProcessors } from '../../api/job-processors.ts';
import { publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { PsiEngines } from '../../core/psi/psi-engines.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { createTestRunner, waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { introduce, startCollaborationNode, type CollaborationNode } from './collaboration-nodes.ts';

const PURPOSE = 'audience.matching';
const RECIPIENT = 'ocean-engine';

interface Node {
  node: CollaborationNode;
  runner: JobRunner;
  engines: PsiEngines;
}

async function startNode(backend: (typeof storageBackends)[number], name: string): Promise<Node> {
  const node = await startCollaborationNode(backend, name);
  const engines = new PsiEngines(1);
  const runner = createTestRunner('in-process', node.t.db, nodeJobProcessors(node.identity, new Uint8Array(32).fill(3), engines));
  await runner.start();
  return { node, runner, engines };
}

/** Members with an email each (and a phone for some), consent for matching with the recipient for `consenting` of them. */
async function seed(n: Node, emails: string[], phones: Map<string, string>, consenting: (email: string) => boolean): Promise<void> {
  const { node } = n;
  const records = emails.map((email) => ({ email, ...(phones.has(email) ? { phone: phones.get(email) } : {}) }));
  const ingested = await node.call('POST', '/v1/ingest/members/batch', { records });
  expect(ingested.status).toBe(201);
  await withTenant(node.t.db, node.tenantId, async (trx) => {
    await definePurpose(trx, { key: PURPOSE, name: 'Audience matching', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
    const notice = await publishNotice(trx, { noticeKey: 'matching', language: 'zh-CN', content: '匹配通知', purposes: [PURPOSE], recipients: [RECIPIENT], dataCategories: ['identifiers'] });
    const persons = await trx.selectFrom('identity_links').innerJoin('identifiers', 'identifiers.id', 'identity_links.identifier_id').select(['identity_links.person_id', 'identifiers.id']).where('identity_links.identifier_type', '=', 'email').execute();
    const personOfIdentifier = new Map(persons.map((row) => [Number(row.id), Number(row.person_id)]));
    const opened = await (await import('../../core/identifiers/identifier-store.ts')).openIdentifiers(trx, new (await import('../../core/identifiers/identifier-keys.ts')).IdentifierKeys(new Uint8Array(32).fill(3)), [...personOfIdentifier.keys()]);
    const events = [...opened].filter(([, identifier]) => consenting(identifier.value)).map(([id]) => ({
      clientEventId: `grant-${id}`,
      subject: `person:${personOfIdentifier.get(id)}`,
      purpose: PURPOSE,
      recipient: RECIPIENT,
      regime: 'pipl' as const,
      kind: 'given' as const,
      noticeId: notice.id,
      channel: 'app',
      source: 'signup',
      collectedAt: new Date(),
    }));
    for (let i = 0; i < events.length; i += 500) await recordConsentEvents(trx, events.slice(i, i + 500));
  });
}

describe.each(storageBackends)('PSI runs between two nodes on %s', (backend) => {
  let brand: Node;
  let partner: Node;
  let collaborationId: string;

  const emailsOf = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `user${from + i}@example.com`);

  beforeAll(async () => {
    brand = await startNode(backend, 'Brand');
    partner = await startNode(backend, 'Ocean Engine');
    const { aOnB } = await introduce(brand.node, partner.node);
    // Brand: 0..399 (people 0..299 consent); partner: 150..649 (all consent). Overlap of consenting: 150..299 = 150 by email.
    await seed(brand, emailsOf(0, 400), new Map(), (email) => Number(/\d+/.exec(email)![0]) < 300);
    await seed(partner, emailsOf(150, 650), new Map(), () => true);
    const created = await brand.node.call('POST', '/v1/collaborations', {
      name: 'Spring launch',
      parties: [{ nodeId: brand.node.identity.nodeId, role: 'brand' }, { nodeId: partner.node.identity.nodeId, role: 'partner' }],
      purpose: PURPOSE,
      recipients: [RECIPIENT],
      outputs: { matchedToBrand: true, matchedToPartner: false },
      idTypes: ['email', 'phone'],
      minOverlap: 100,
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(created.status).toBe(201);
    collaborationId = created.body.id;
    expect((await brand.node.call('POST', `/v1/collaborations/${collaborationId}/approve`, { constraints: {} })).status).toBe(200);
    expect((await partner.node.call('POST', '/v1/collaborations/import', { fromPeer: aOnB, collaborationId })).status).toBe(201);
    expect((await partner.node.call('POST', `/v1/collaborations/${collaborationId}/approve`, { constraints: {} })).status).toBe(200);
    await waitFor(async () => ((await brand.node.call('GET', `/v1/collaborations/${collaborationId}`)).body.status === 'approved' ? true : undefined), 'approval delivered');
  });

  afterAll(async () => {
    for (const n of [brand, partner]) {
      await n?.runner.stop();
      await n?.engines.close();
      await n?.node.close();
    }
  });

  const finished = (n: Node, runId: string) =>
    waitFor(async () => {
      const run = await n.node.call('GET', `/v1/psi/runs/${runId}`);
      return run.body.status === 'finished' || run.body.status === 'failed' ? run.body : undefined;
    }, 'run finished', 60_000);

  it('finds the consented overlap, releases the matched members to the brand only, and records it on both nodes', async () => {
    const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId });
    expect(started.status).toBe(202);
    const run = await finished(brand, started.body.id);
    expect(run.error).toBeNull();
    expect(run).toMatchObject({ status: 'finished', role: 'client', clientLearnsMembers: true, serverLearnsMembers: false });
    expect(run.result.decision).toMatchObject({ released: true, total: 150 });
    expect(run.result.membersStored).toBe(150);
    const matches = await brand.node.call('GET', `/v1/psi/runs/${started.body.id}/matches?limit=1000`);
    expect(matches.body.items).toHaveLength(150);

    const serverRun = await finished(partner, started.body.id);
    expect(serverRun).toMatchObject({ status: 'finished', role: 'server', serverLearnsMembers: false });
    expect(serverRun.result.membersStored).toBe(0);
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
    const run = await finished(brand, started.body.id);
    expect(run.status).toBe('finished');
    expect(run.result.decision).toEqual({ released: false, reason: 'below-min-overlap' });
    expect(run.result.membersStored).toBe(0);
    expect((await brand.node.call('GET', `/v1/psi/runs/${started.body.id}/matches`)).body.items).toEqual([]);
  });

  it('refuses a run on a revoked collaboration', async () => {
    expect((await partner.node.call('POST', `/v1/collaborations/${collaborationId}/revoke`, { reason: 'paused' })).status).toBe(200);
    await waitFor(async () => ((await brand.node.call('GET', `/v1/collaborations/${collaborationId}`)).body.status === 'revoked' ? true : undefined), 'revocation delivered');
    const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId });
    expect(started.status).toBe(409);
    expect(started.body.code).toBe('ACCORD_ERR_COLLABORATION_REVOKED');
  });
});
