/** A brand node with the sync engine on a job runner, contract servers standing in for the platforms, and people who match them. */
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { audienceConnectorsOf } from '../../api/audience-connectors.ts';
import type { PlatformConnectors } from '../../connectors/index.ts';
import type { ContractServer } from '../../connectors/contract-kit/contract-server.ts';
import type { FakePerson } from '../../connectors/contract-kit/fake-people.ts';
import type { ActivationDeps } from '../../core/activation/activation-deps.ts';
import type { AudienceConnectors } from '../../core/activation/audience-connectors.ts';
import { followConsentChanges } from '../../core/activation/follow-withdrawals.ts';
import { activationJobProcessors } from '../../core/activation/sync-jobs.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { definePurpose } from '../../core/consent/purposes.ts';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { changeFeedOf } from '../../core/db/change-feed.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { openIdentifiers } from '../../core/identifiers/identifier-store.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { createTestRunner, waitFor, type QueueBackend } from '../support/job-runners.ts';
import { bearer, startTestApp } from '../support/test-app.ts';
import type { TestDatabase } from '../support/test-database.ts';

/** A parsed JSON answer, as inject's json() gives it. */
type Body = Awaited<ReturnType<Response['json']>>;

export const PURPOSE = 'advertising.custom_audiences';
export const MASTER_KEY = new Uint8Array(32).fill(3);

export interface ActivationNode {
  readonly app: FastifyInstance;
  readonly runner: JobRunner;
  readonly tenantId: string;
  readonly token: string;
  readonly connectors: AudienceConnectors;
  call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: Body }>;
  close(): Promise<void>;
}

export interface PlatformUnderTest {
  readonly name: string;
  readonly platform: PlatformConnectors;
  readonly server: ContractServer;
}

let tenants = 0;

/** A node with a tenant of its own, so each starts with empty ledgers. */
export async function startActivationNode(t: TestDatabase, queue: QueueBackend, platforms: readonly PlatformUnderTest[], engine: Partial<ActivationDeps> = {}): Promise<ActivationNode> {
  const connectors = audienceConnectorsOf(Object.fromEntries(platforms.map((p) => [p.name, p.platform])), Object.fromEntries(platforms.map((p) => [p.name, p.server.url])));
  const gate = new ConsentGate();
  const test = await startTestApp(t, { audienceConnectors: connectors, gate });
  const key = await test.keyFor(`brand-${++tenants}`, ['admin']);
  const deps: ActivationDeps = { connectors, masterKey: MASTER_KEY, gate, pollDelayMs: 20, policy: { attempts: 4, maxWaitMs: 3_000, baseBackoffMs: 20 }, ...engine };
  const runner = createTestRunner(queue, t.db, activationJobProcessors(deps));
  await runner.start();
  const unfollow = followConsentChanges(t.db, changeFeedOf(t.db), () => runner.wake());
  await withTenant(t.db, key.tenantId, (trx) =>
    definePurpose(trx, { key: PURPOSE, name: 'Custom audiences on ad platforms', mechanism: 'opt_out', legalBasis: { ccpa: 'opt_out' }, retentionDays: null, sensitiveCategory: null, requiresNamedRecipient: false, crossBorder: false, publicDisclosure: false }),
  );
  return {
    app: test.app,
    runner,
    tenantId: key.tenantId,
    token: key.token,
    connectors,
    async call(method, url, body) {
      const response = await test.app.inject({ method, url, headers: bearer(key.token), ...(body === undefined ? {} : { payload: body as object }) });
      return { status: response.statusCode, body: response.body ? response.json() : undefined };
    },
    async close() {
      unfollow();
      await runner.stop();
      await test.app.close();
    },
  };
}

/** Ingests the people (email and phone) and puts them all in a new segment; person ids in the people's order. */
export async function seedAudience(t: TestDatabase, node: ActivationNode, people: readonly FakePerson[]): Promise<{ segmentId: number; persons: number[] }> {
  const ingested = await node.call('POST', '/v1/ingest/members/batch', { records: people.map((p) => ({ email: p.email, phone: p.phone })) });
  expect(ingested.status).toBe(201);
  return withTenant(t.db, node.tenantId, async (trx) => {
    const links = await trx.selectFrom('identity_links').select(['person_id', 'identifier_id']).where('identifier_type', '=', 'email').execute();
    const opened = await openIdentifiers(trx, new IdentifierKeys(MASTER_KEY), links.map((l) => Number(l.identifier_id)));
    const byEmail = new Map(links.map((l) => [opened.get(Number(l.identifier_id))!.value, Number(l.person_id)]));
    const persons = people.map((p) => byEmail.get(p.email.toLowerCase()) ?? byEmail.get(gmailCanonical(p.email))!);
    const segment = await trx.insertInto('segments').values({ tenant_id: trx.tenantId, name: 'fans', kind: 'imported', rule: null, schedule_seconds: null, created_by: 'test' }).returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('segment_members').values(persons.map((person_id) => ({ tenant_id: trx.tenantId, segment_id: Number(segment.id), person_id }))).execute();
    return { segmentId: Number(segment.id), persons };
  });
}

const gmailCanonical = (email: string) => {
  const [local, domain] = email.toLowerCase().split('@');
  return `${local!.split('+')[0]!.replaceAll('.', '')}@${domain}`;
};

export async function setConsent(t: TestDatabase, node: ActivationNode, personIds: readonly number[], kind: 'withdrawn' | 'given'): Promise<void> {
  await withTenant(t.db, node.tenantId, (trx) =>
    recordConsentEvents(
      trx,
      personIds.map((id) => ({ clientEventId: `${kind}-${id}-${Math.random()}`, subject: `person:${id}`, purpose: PURPOSE, recipient: '', regime: 'ccpa' as const, kind, channel: 'app', source: 'settings', collectedAt: new Date() })),
    ),
  );
}

/** Waits until the run has finished, and returns it. */
export async function finishedRun(node: ActivationNode, syncId: number, runId: number): Promise<Body> {
  return waitFor(async () => {
    const run = (await node.call('GET', `/v1/syncs/${syncId}/runs/${runId}`)).body;
    return ['done', 'partial', 'failed'].includes(run.state) ? run : undefined;
  }, `run ${runId} to finish`);
}

export async function addDestination(node: ActivationNode, server: ContractServer, connector: string, accountId = '120330000000000'): Promise<number> {
  const created = await node.call('POST', '/v1/destinations', { connector, name: `${connector} account`, accountId, credentials: server.credentials });
  expect(created.status).toBe(201);
  return created.body.id;
}
