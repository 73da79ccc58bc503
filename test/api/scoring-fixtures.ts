/**
 * Two-node federated-scoring setup: a brand and a data provider, each with its own database, job
 * runner and consent catalogue for `scoring.leads` to the recipient `ocean-data`; synthetic tags
 * (test/support/two-party-scoring.ts) on both sides for the same people by email; a collaboration
 * between them for that purpose, approved by both; and a PSI run whose matches align the rows.
 * The batch minimum is lowered for test-sized data (a policy setting of the node).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { nodeJobProcessors } from '../../api/job-processors.ts';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { publishNotice } from '../../core/consent/notices.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { PROFILING_PURPOSE } from '../../core/consent/profiling-purpose.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { openIdentifiers } from '../../core/identifiers/identifier-store.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { PsiEngines } from '../../core/psi/psi-engines.ts';
import { parseScoringPolicy } from '../../core/scoring/model-spec.ts';
import { scoringNodeOf, type ScoringNode } from '../../core/scoring/scoring-node.ts';
import { defineTag } from '../../core/tags/tag-definitions.ts';
import { writeTagValues } from '../../core/tags/tag-value-store.ts';
import { createTestRunner, waitFor, type QueueBackend } from '../support/job-runners.ts';
import { syntheticData } from '../support/two-party-scoring.ts';
import type { StorageBackend } from '../support/test-database.ts';
import { introduce, startCollaborationNode, type CollaborationNode } from './collaboration-nodes.ts';
import { FaultSwitch } from './psi-fixtures.ts';

export const SCORING_PURPOSE = 'scoring.leads';
export const DATA_RECIPIENT = 'ocean-data';
export const MASTER_KEY = new Uint8Array(32).fill(3);
export const TEST_POLICY = parseScoringPolicy({ minBatchRows: 256, minLookalikeSegment: 100, minHistogramBucket: 20 });
export const LOOKALIKE_PURPOSE = 'audience.lookalike';

export interface ScoringTestNode {
  readonly node: CollaborationNode;
  readonly engines: PsiEngines;
  /** Loses or holds requests to this node, as a cut connection or a dying peer would. */
  readonly faults: FaultSwitch;
  runner: JobRunner;
  /** Runners replaced by restartWorker, stopped with the node. */
  readonly retired: JobRunner[];
  /** The scoring node of the current runner (its HE sessions are that worker's). */
  scoring: ScoringNode;
  /**
   * A new worker: fresh processors (no HE sessions kept) and a fresh runner; the old one is not
   * stopped. `abandonedAfterMs: 0` takes back the jobs the old one was running, as after a crash.
   */
  restartWorker(options?: { abandonedAfterMs?: number }): Promise<void>;
}

export async function startScoringNode(backend: StorageBackend, name: string, queue: QueueBackend = 'in-process'): Promise<ScoringTestNode> {
  const faults = new FaultSwitch();
  const node = await startCollaborationNode(backend, name, (app) => faults.install(app), { scoringPolicy: TEST_POLICY });
  await withTenant(node.t.db, node.tenantId, async (trx) => {
    await definePurpose(trx, { key: SCORING_PURPOSE, name: 'Lead scoring with a data partner', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
    await definePurpose(trx, { key: LOOKALIKE_PURPOSE, name: 'Lookalike audiences with a data partner', mechanism: 'opt_in', legalBasis: { pipl: 'consent' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: true, crossBorder: false, publicDisclosure: false });
    await publishNotice(trx, { noticeKey: 'scoring', language: 'zh-CN', content: '评分通知', purposes: [SCORING_PURPOSE, LOOKALIKE_PURPOSE, PROFILING_PURPOSE], recipients: [DATA_RECIPIENT], dataCategories: ['identifiers', 'tags'] });
  });
  const engines = new PsiEngines(1);
  const test: ScoringTestNode = {
    node,
    engines,
    faults,
    retired: [],
    runner: undefined as unknown as JobRunner,
    scoring: undefined as unknown as ScoringNode,
    async restartWorker(options = {}) {
      if (test.runner) test.retired.push(test.runner);
      test.scoring = scoringNodeOf(node.identity, MASTER_KEY, node.gate, TEST_POLICY);
      test.runner = createTestRunner(queue, node.t.db, nodeJobProcessors(node.t.db, node.identity, MASTER_KEY, engines, node.gate, test.scoring), options);
      await test.runner.start();
    },
  };
  await test.restartWorker();
  return test;
}

export async function stopScoringNodes(...nodes: (ScoringTestNode | undefined)[]): Promise<void> {
  for (const n of nodes) {
    if (!n) continue;
    n.faults.releaseHeld();
    await n.runner.stop();
    for (const runner of n.retired) await runner.stop();
    await n.scoring.sessions.clear();
    await n.engines.close();
    await n.node.close();
  }
}

export const emailOf = (i: number) => `user${i}@example.com`;

/** Ingests the users by email; returns person ids by user number. */
export async function seedUsers(n: ScoringTestNode, users: readonly number[]): Promise<Map<number, number>> {
  for (let i = 0; i < users.length; i += 1000) {
    const ingested = await n.node.call('POST', '/v1/ingest/members/batch', { records: users.slice(i, i + 1000).map((u) => ({ email: emailOf(u) })) });
    expect(ingested.status, JSON.stringify(ingested.body)).toBe(201);
  }
  return withTenant(n.node.t.db, n.node.tenantId, async (trx) => {
    const links = await trx.selectFrom('identity_links').select(['person_id', 'identifier_id']).where('identifier_type', '=', 'email').execute();
    const opened = await openIdentifiers(trx, new IdentifierKeys(MASTER_KEY), links.map((link) => Number(link.identifier_id)));
    return new Map(links.map((link) => [Number(/\d+/.exec(opened.get(Number(link.identifier_id))!.value)![0]), Number(link.person_id)]));
  });
}

/** The persons give (or withdraw) consent for scoring with the data partner, and (brand leads) for profiling. */
export async function scoringConsent(n: ScoringTestNode, persons: readonly number[], kind: 'given' | 'withdrawn', purposes: readonly string[] = [SCORING_PURPOSE]): Promise<void> {
  await withTenant(n.node.t.db, n.node.tenantId, async (trx) => {
    const noticeId = (await trx.selectFrom('consent_notices').select('id').where('notice_key', '=', 'scoring').orderBy('version', 'desc').executeTakeFirstOrThrow()).id;
    const events = purposes.flatMap((purpose) =>
      persons.map((person) => ({
        clientEventId: `${kind}-${randomUUID()}`,
        subject: `person:${person}`,
        purpose,
        recipient: purpose === PROFILING_PURPOSE ? '' : DATA_RECIPIENT,
        regime: 'pipl' as const,
        kind,
        ...(kind === 'given' ? { noticeId } : {}),
        channel: 'app',
        source: 'signup',
        collectedAt: new Date(),
      })),
    );
    for (let i = 0; i < events.length; i += 500) await recordConsentEvents(trx, events.slice(i, i + 500));
  });
}

/** Static number tags with these values per person. */
export async function seedTags(n: ScoringTestNode, columns: Record<string, Map<number, number>>): Promise<void> {
  await withTenant(n.node.t.db, n.node.tenantId, async (trx) => {
    for (const [key, values] of Object.entries(columns)) {
      await defineTag(trx, { key, kind: 'static', valueType: 'number', multiValued: false, description: key, owner: 'test' }, 'test');
      await writeTagValues(trx, key, values, [], 'test');
    }
  });
}

/** A collaboration for lead scoring between the brand and the provider, approved by both; resolves once the brand knows. */
export async function scoringCollaboration(brand: ScoringTestNode, provider: ScoringTestNode, purpose = SCORING_PURPOSE, introduced = false): Promise<string> {
  const aOnB = introduced ? (await provider.node.call('GET', '/v1/peers')).body.items.find((p: { nodeId: string }) => p.nodeId === brand.node.identity.nodeId).id : (await introduce(brand.node, provider.node)).aOnB;
  const created = await brand.node.call('POST', '/v1/collaborations', {
    name: 'Lead scoring',
    parties: [{ nodeId: brand.node.identity.nodeId, role: 'brand' }, { nodeId: provider.node.identity.nodeId, role: 'provider' }],
    purpose,
    recipients: [DATA_RECIPIENT],
    outputs: { matchedToBrand: true, matchedToPartner: false },
    idTypes: ['email'],
    minOverlap: 10,
    minInputSize: 10,
    exactCounts: true,
    minCellSize: 1,
    runBudget: 100,
    maxRunsPerDay: 100,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  expect((await brand.node.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { exactCounts: true } })).status).toBe(200);
  expect((await provider.node.call('POST', '/v1/collaborations/import', { fromPeer: aOnB, collaborationId: id })).status).toBe(201);
  expect((await provider.node.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { exactCounts: true } })).status).toBe(200);
  await waitFor(async () => ((await brand.node.call('GET', `/v1/collaborations/${id}`)).body.status === 'approved' ? true : undefined), 'approval delivered');
  return id;
}

/** A finished PSI run of the collaboration, started by the brand. */
export async function psiRun(brand: ScoringTestNode, collaborationId: string): Promise<string> {
  const started = await brand.node.call('POST', '/v1/psi/runs', { collaborationId });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const run = await waitFor(async () => {
    const view = await brand.node.call('GET', `/v1/psi/runs/${started.body.id}`);
    return ['finished', 'failed'].includes(view.body.status) ? view.body : undefined;
  }, 'PSI run ended', 60_000);
  expect(run.error).toBeNull();
  return started.body.id as string;
}

export interface ModelView {
  id: string;
  status: string;
  error: string | null;
  progress: { epoch: number; step: number; validationAuc?: number | null; validationLoss?: number | null }[];
}

/** The model on this node once its training ended (trained or failed). */
export function modelEnded(n: ScoringTestNode, modelId: string, timeoutMs = 120_000): Promise<ModelView> {
  return waitFor(async () => {
    const view = await n.node.call('GET', `/v1/models/${modelId}`);
    return view.status === 200 && ['trained', 'failed'].includes(view.body.status) ? (view.body as ModelView) : undefined;
  }, `model ${modelId} ended on ${n.node.name}`, timeoutMs);
}

export const PEOPLE = 2000;
/** Brand users 0..1599: 0..1399 are labelled customers, 1400..1599 unlabelled leads. The provider holds all 2,000. */
export const LABELLED = 1400;
export const BRAND_USERS = 1600;
export const PROVIDER_TAGS = Array.from({ length: 8 }, (_, j) => `t${j}`);

export interface ScoringPair {
  readonly brand: ScoringTestNode;
  readonly provider: ScoringTestNode;
  readonly collaborationId: string;
  readonly psiRunId: string;
}

/**
 * Both nodes seeded from one synthetic data set (the label depends on 6 of the 8 provider tags and
 * the brand's `visits`): tags t0..t7 at the provider; at the brand `converted`, `copy_t0` (a label
 * copying one provider tag), `visits` and `is_lead`. Users 0..19 withdraw at the provider after the
 * PSI run, so its gate keeps them out of training.
 */
export async function startScoringPair(backend: StorageBackend, queue: QueueBackend = 'in-process'): Promise<ScoringPair> {
  const brand = await startScoringNode(backend, 'Brand', queue);
  const provider = await startScoringNode(backend, 'Ocean Data', queue);
  const data = syntheticData({ rows: PEOPLE, providerFeatures: PROVIDER_TAGS.length, brandFeatures: 1 });
  const users = (n: number) => Array.from({ length: n }, (_, i) => i);
  const brandPersons = await seedUsers(brand, users(BRAND_USERS));
  const providerPersons = await seedUsers(provider, users(PEOPLE));
  await scoringConsent(provider, users(PEOPLE).map((u) => providerPersons.get(u)!), 'given', [SCORING_PURPOSE, LOOKALIKE_PURPOSE]);
  await scoringConsent(brand, users(BRAND_USERS).map((u) => brandPersons.get(u)!), 'given', [SCORING_PURPOSE, LOOKALIKE_PURPOSE, PROFILING_PURPOSE]);
  const column = (persons: Map<number, number>, count: number, value: (u: number) => number) => new Map(users(count).map((u) => [persons.get(u)!, value(u)]));
  await seedTags(provider, Object.fromEntries(PROVIDER_TAGS.map((tag, j) => [tag, column(providerPersons, PEOPLE, (u) => data.provider[j]![u]!)])));
  await seedTags(brand, {
    converted: column(brandPersons, LABELLED, (u) => data.labels[u]!),
    copy_t0: column(brandPersons, LABELLED, (u) => Number(data.provider[0]![u]! > 0)),
    visits: column(brandPersons, BRAND_USERS, (u) => data.brand[0]![u]!),
    is_lead: new Map(users(BRAND_USERS).slice(LABELLED).map((u) => [brandPersons.get(u)!, 1])),
  });
  const collaborationId = await scoringCollaboration(brand, provider);
  const psiRunId = await psiRun(brand, collaborationId);
  await scoringConsent(provider, users(20).map((u) => providerPersons.get(u)!), 'withdrawn');
  return { brand, provider, collaborationId, psiRunId };
}

/** A speed model the brand proposed and the provider approved. */
export async function approvedModel(pair: ScoringPair, overrides: Record<string, unknown> = {}, constraints: Record<string, unknown> = {}): Promise<string> {
  const proposed = await proposeModel(pair, overrides);
  expect(proposed.status, JSON.stringify(proposed.body)).toBe(201);
  const approved = await pair.provider.node.call('POST', `/v1/models/${proposed.body.id}/approve`, { constraints });
  expect(approved.status, JSON.stringify(approved.body)).toBe(200);
  return proposed.body.id as string;
}

export const proposeModel = (pair: ScoringPair, overrides: Record<string, unknown> = {}) =>
  pair.brand.node.call('POST', '/v1/models', { collaborationId: pair.collaborationId, name: 'Speed', target: 'speed', psiRunId: pair.psiRunId, labelTag: 'converted', brandTags: ['visits'], providerTags: PROVIDER_TAGS, batchRows: 256, epochs: 3, ...overrides });
