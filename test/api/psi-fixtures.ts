/**
 * Two-node PSI test setup shared by the PSI API suites: nodes with their own job runner and
 * engines, seeded members with consent for `audience.matching` to `ocean-engine`, approved
 * collaborations between them, and a fault switch in front of each node's HTTP endpoints that a test
 * arms to lose or hold a request, the way a cut connection or a dying worker would.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { nodeJobProcessors } from '../../api/job-processors.ts';
import { recordConsentEvents } from '../../core/consent/record-consent-event.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { openIdentifiers } from '../../core/identifiers/identifier-store.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { PsiEngines } from '../../core/psi/psi-engines.ts';
import { generateSigningKeyPair, sign } from '../../crypto/ed25519.ts';
import { createTestRunner, waitFor } from '../support/job-runners.ts';
import type { StorageBackend } from '../support/test-database.ts';
import { defineMatchingConsent, introduce, PURPOSE, RECIPIENT, startCollaborationNode, type CollaborationNode } from './collaboration-nodes.ts';

export { PURPOSE, RECIPIENT } from './collaboration-nodes.ts';

/** The master key every test node is started with (collaboration-nodes.ts). */
export const MASTER_KEY = new Uint8Array(32).fill(3);

/**
 * What an armed fault does to the next matching requests: `drop-before` cuts the connection before
 * the node handles the request; `drop-after` lets the node handle (and commit) it and cuts the
 * connection instead of answering; `hold` keeps the request waiting until released.
 */
export type FaultAction = 'drop-before' | 'drop-after' | 'hold';

interface ArmedFault {
  readonly method: string;
  readonly path: RegExp;
  readonly action: FaultAction;
  remaining: number;
  hits: number;
}

export class FaultSwitch {
  private readonly armed: ArmedFault[] = [];
  private readonly held: (() => void)[] = [];

  /** Arms a fault for the next `times` requests whose method and path match; returns how often it fired so far. */
  arm(method: string, path: RegExp, action: FaultAction, times = 1): { readonly hits: () => number } {
    const fault: ArmedFault = { method, path, action, remaining: times, hits: 0 };
    this.armed.push(fault);
    return { hits: () => fault.hits };
  }

  disarm(): void {
    this.armed.length = 0;
  }

  /** Lets every held request go on (its connection is cut, as a dead worker's would be). */
  releaseHeld(): void {
    for (const release of this.held.splice(0)) release();
  }

  private take(method: string, url: string, action: FaultAction): boolean {
    const fault = this.armed.find((f) => f.remaining > 0 && f.action === action && f.method === method && f.path.test(url.split('?')[0]!));
    if (!fault) return false;
    fault.remaining--;
    fault.hits++;
    return true;
  }

  /** Installs the switch on an app before it listens. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      if (this.take(request.method, request.url, 'drop-before')) {
        request.raw.socket.destroy();
        // Never answers: the connection is gone.
        await new Promise(() => undefined);
      }
      if (this.take(request.method, request.url, 'hold')) {
        await new Promise<void>((resolve) => this.held.push(resolve));
        request.raw.socket.destroy();
        await new Promise(() => undefined);
      }
    });
    app.addHook('onSend', async (request, _reply, payload) => {
      if (this.take(request.method, request.url, 'drop-after')) request.raw.socket.destroy();
      return payload;
    });
  }
}

export interface PsiTestNode {
  readonly node: CollaborationNode;
  readonly engines: PsiEngines;
  readonly faults: FaultSwitch;
  runner: JobRunner;
  /** A fresh job runner for this node (the old one is not stopped): a restarted worker. */
  newRunner(options?: { abandonedAfterMs?: number }): JobRunner;
}

export async function startPsiNode(backend: StorageBackend, name: string): Promise<PsiTestNode> {
  const faults = new FaultSwitch();
  const node = await startCollaborationNode(backend, name, (app) => faults.install(app));
  await defineMatchingConsent(node.t, node.tenantId);
  const engines = new PsiEngines(1);
  const newRunner = (options: { abandonedAfterMs?: number } = {}) => createTestRunner('in-process', node.t.db, nodeJobProcessors(node.t.db, node.identity, MASTER_KEY, engines, node.gate), options);
  const runner = newRunner();
  await runner.start();
  return { node, engines, faults, runner, newRunner };
}

export async function stopPsiNodes(...nodes: (PsiTestNode | undefined)[]): Promise<void> {
  for (const n of nodes) {
    if (!n) continue;
    n.faults.releaseHeld();
    await n.runner.stop();
    await n.engines.close();
    await n.node.close();
  }
}

export const emailsOf = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `user${from + i}@example.com`);
export const phoneOf = (i: number): string => `+86138${String(i).padStart(8, '0')}`;

export interface Member {
  readonly email: string;
  readonly phone?: string;
}

/** Ingests the members; those `consenting` get consent for matching with the recipient. Returns person ids by email. */
export async function seedMembers(n: PsiTestNode, members: readonly Member[], consenting: (member: Member) => boolean = () => true): Promise<Map<string, number>> {
  const ingested = await n.node.call('POST', '/v1/ingest/members/batch', { records: members.map((m) => ({ email: m.email, ...(m.phone ? { phone: m.phone } : {}) })) });
  expect(ingested.status).toBe(201);
  await grantConsent(n, members.filter(consenting).map((member) => member.email));
  return personsByEmail(n);
}

/** The members give (or give again) their consent for matching with the recipient. */
export async function grantConsent(n: PsiTestNode, emails: readonly string[]): Promise<void> {
  await consentEvents(n, emails, 'given');
}

/** The members withdraw their consent for matching with the recipient. */
export async function withdrawConsent(n: PsiTestNode, emails: readonly string[]): Promise<void> {
  await consentEvents(n, emails, 'withdrawn');
}

async function consentEvents(n: PsiTestNode, emails: readonly string[], kind: 'given' | 'withdrawn'): Promise<void> {
  const { node } = n;
  const persons = await personsByEmail(n);
  // A grant cites the notice the person saw; a withdrawal needs none.
  const noticeId = kind === 'given' ? await withTenant(node.t.db, node.tenantId, async (trx) => (await trx.selectFrom('consent_notices').select('id').where('notice_key', '=', 'matching').orderBy('version', 'desc').executeTakeFirstOrThrow()).id) : undefined;
  const events = emails.map((email) => ({
    clientEventId: `${kind}-${randomUUID()}`,
    subject: `person:${persons.get(email)!}`,
    purpose: PURPOSE,
    recipient: RECIPIENT,
    regime: 'pipl' as const,
    kind,
    ...(noticeId ? { noticeId } : {}),
    channel: 'app',
    source: kind === 'given' ? 'signup' : 'settings',
    collectedAt: new Date(),
  }));
  await recordConsent(n, events);
}

async function recordConsent(n: PsiTestNode, events: Parameters<typeof recordConsentEvents>[1]): Promise<void> {
  await withTenant(n.node.t.db, n.node.tenantId, async (trx) => {
    for (let i = 0; i < events.length; i += 500) await recordConsentEvents(trx, events.slice(i, i + 500));
  });
}

/** Every person of the node's tenant by email (opened from the identifier store). */
export async function personsByEmail(n: PsiTestNode): Promise<Map<string, number>> {
  return withTenant(n.node.t.db, n.node.tenantId, async (trx) => {
    const links = await trx.selectFrom('identity_links').select(['person_id', 'identifier_id']).where('identifier_type', '=', 'email').execute();
    const opened = await openIdentifiers(trx, new IdentifierKeys(MASTER_KEY), links.map((link) => Number(link.identifier_id)));
    return new Map(links.map((link) => [opened.get(Number(link.identifier_id))!.value, Number(link.person_id)]));
  });
}

export interface PsiPair {
  readonly brand: PsiTestNode;
  readonly partner: PsiTestNode;
  /** The peer id the partner gave the brand (for importing collaborations). */
  readonly brandOnPartner: string;
}

export async function connectPsiNodes(brand: PsiTestNode, partner: PsiTestNode): Promise<PsiPair> {
  const { aOnB } = await introduce(brand.node, partner.node);
  return { brand, partner, brandOnPartner: aOnB };
}

export interface CollaborationOptions {
  readonly outputs?: { matchedToBrand: boolean; matchedToPartner: boolean };
  readonly idTypes?: string[];
  readonly suite?: 'ristretto255' | 'x25519-elligator2';
  readonly minOverlap?: number;
  readonly runBudget?: number;
  readonly maxRunsPerDay?: number;
  /** Default: the minimum overlap, so the small sets of these tests may take part. */
  readonly minInputSize?: number;
  /** Both parties opt in to exact counts (the terms' default is noise). */
  readonly exactCounts?: boolean;
  /** What the partner adds when it approves (computed just before it approves). */
  readonly partnerConstraints?: () => Record<string, unknown>;
}

/** A collaboration the brand proposed and both parties approved; resolves once the brand knows it is approved (or already expired). */
export async function approvedCollaboration(pair: PsiPair, options: CollaborationOptions = {}): Promise<string> {
  const { brand, partner } = pair;
  const created = await brand.node.call('POST', '/v1/collaborations', {
    name: 'Spring launch',
    parties: [{ nodeId: brand.node.identity.nodeId, role: 'brand' }, { nodeId: partner.node.identity.nodeId, role: 'partner' }],
    purpose: PURPOSE,
    recipients: [RECIPIENT],
    outputs: options.outputs ?? { matchedToBrand: true, matchedToPartner: false },
    idTypes: options.idTypes ?? ['email', 'phone'],
    suite: options.suite ?? 'ristretto255',
    minOverlap: options.minOverlap ?? 10,
    minInputSize: options.minInputSize ?? options.minOverlap ?? 10,
    ...(options.exactCounts ? { exactCounts: true } : {}),
    minCellSize: 1,
    runBudget: options.runBudget ?? 1_000,
    maxRunsPerDay: options.maxRunsPerDay ?? 1_000,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  const optIn = options.exactCounts ? { exactCounts: true } : {};
  expect((await brand.node.call('POST', `/v1/collaborations/${id}/approve`, { constraints: optIn })).status).toBe(200);
  expect((await partner.node.call('POST', '/v1/collaborations/import', { fromPeer: pair.brandOnPartner, collaborationId: id })).status).toBe(201);
  const approval = await partner.node.call('POST', `/v1/collaborations/${id}/approve`, { constraints: { ...optIn, ...options.partnerConstraints?.() } });
  expect(approval.status, JSON.stringify(approval.body)).toBe(200);
  await waitFor(async () => (['approved', 'expired'].includes((await brand.node.call('GET', `/v1/collaborations/${id}`)).body.status) ? true : undefined), 'approval delivered');
  return id;
}

export interface RunView {
  id: string;
  status: string;
  role: string;
  clientLearnsMembers: boolean;
  serverLearnsMembers: boolean;
  result: { decision: Record<string, unknown>; membersStored: number; input?: Record<string, number> } | null;
  error: string | null;
}

/** Starts a run through the brand's API and returns its id. */
export async function startRun(n: PsiTestNode, collaborationId: string): Promise<string> {
  const started = await n.node.call('POST', '/v1/psi/runs', { collaborationId });
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return started.body.id as string;
}

/** The run on this node once it has ended (finished or failed). */
export function runEnded(n: PsiTestNode, runId: string, timeoutMs = 60_000): Promise<RunView> {
  return waitFor(async () => {
    const run = await n.node.call('GET', `/v1/psi/runs/${runId}`);
    return run.status === 200 && (run.body.status === 'finished' || run.body.status === 'failed') ? (run.body as RunView) : undefined;
  }, `run ${runId} ended on ${n.node.name}`, timeoutMs);
}

/** The matched members this node stored for a run, as emails, sorted. */
export async function matchedEmails(n: PsiTestNode, runId: string): Promise<{ email: string; idType: string }[]> {
  const matches = await n.node.call('GET', `/v1/psi/runs/${runId}/matches?limit=10000`);
  expect(matches.status).toBe(200);
  const emailOf = new Map([...(await personsByEmail(n))].map(([email, person]) => [person, email]));
  return (matches.body.items as { personId: number; idType: string }[])
    .map((item) => ({ email: emailOf.get(item.personId) ?? `person:${item.personId}`, idType: item.idType }))
    .sort((a, b) => a.email.localeCompare(b.email));
}

/** A node identity that no node has pinned: a stranger, or (with `nodeId`) an impostor of a known node. */
export function unpinnedIdentity(name: string, nodeId: string = randomUUID()): NodeIdentity {
  const keys = generateSigningKeyPair();
  return { nodeId, partyName: name, publicKey: keys.publicKey, sign: (message) => sign(message, keys.secretKey) };
}
