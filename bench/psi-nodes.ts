/**
 * Two real Accord nodes in this process for the PSI benchmark, each with its own throwaway database,
 * job runner and PSI worker pools (bench-node.ts, the production composition root), listening on
 * loopback. Everything between them goes through their public API and the signed node-to-node
 * protocol: pinning each other as peers, proposing and approving a collaboration, running PSI.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import type { Database } from '../core/db/schema.ts';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import type { NodeIdentity } from '../core/identity/node-identity.ts';
import { createApiKey } from '../core/tenancy/api-keys.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import type { PsiSuite } from '../crypto/psi/suites.ts';
import { startBenchNode } from './bench-node.ts';
import { BENCH_PURPOSE, BENCH_RECIPIENT } from './psi-seed.ts';

type Body = Record<string, unknown> & { id?: string; status?: string };

export interface PsiBenchNode {
  readonly name: string;
  readonly db: Kysely<Database>;
  readonly databaseKind: string;
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly identity: NodeIdentity;
  readonly tenantId: string;
  /** The keys the node seals and looks up identifiers with (derived from its master key). */
  readonly identifierKeys: IdentifierKeys;
  call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Body>;
  close(): Promise<void>;
}

/** The figures of one run, as the brand (client) node saw it. */
export interface PsiRunFigures {
  readonly runId: string;
  /** POST /v1/psi/runs until the brand's run is finished. */
  readonly wallMs: number;
  /** POST until the partner accepted the run: the brand's job picks the run up and gathers its consented input. */
  readonly inputMs: number;
  /** From the partner's acceptance until its set was blinded and stored, as polled (±poll interval). */
  readonly serverPrepareMs: number;
  /** The client's own phase timings (psi-client.ts), from the run's result. */
  readonly timingsMs: Record<string, number>;
  readonly bytes: { sent: number; received: number };
  readonly matched: number;
  readonly membersStored: number;
}

const POLL_MS = 200;

export async function startPsiBenchNode(name: string): Promise<PsiBenchNode> {
  const masterKey = randomBytes(32);
  // Benchmark traffic is not what the rate limit is for; the run itself polls and streams frames.
  const { node, close } = await startBenchNode({ masterKey: masterKey.toString('base64'), partyName: name, rateLimitPerMinute: 1_000_000 });
  try {
    const db = node.database.db;
    const tenant = await ensureTenant(db, DEFAULT_TENANT);
    const { token } = await createApiKey(db, { tenantId: tenant.id, name: 'bench', scopes: ['admin'] });
    const url = node.url!;
    return {
      name,
      db,
      databaseKind: node.database.target.kind,
      url,
      identity: node.identity,
      tenantId: tenant.id,
      identifierKeys: new IdentifierKeys(masterKey),
      async call(method, path, body) {
        const response = await fetch(url + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const json = (await response.json()) as Body;
        if (!response.ok) throw new Error(`${name}: ${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
        return json;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Each node pins the other; returns the id the partner gave the brand. */
export async function introduce(brand: PsiBenchNode, partner: PsiBenchNode): Promise<string> {
  const pin = (self: PsiBenchNode, other: PsiBenchNode) =>
    self.call('POST', '/v1/peers', { nodeId: other.identity.nodeId, name: other.name, baseUrl: other.url, publicKey: Buffer.from(other.identity.publicKey).toString('base64') });
  await pin(brand, partner);
  return (await pin(partner, brand)).id!;
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * A collaboration on `suite` proposed by the brand and approved by both: the brand learns its
 * matched members, so the run goes all the way to storing them.
 */
export async function approvedCollaboration(brand: PsiBenchNode, partner: PsiBenchNode, brandOnPartner: string, suite: PsiSuite): Promise<string> {
  const created = await brand.call('POST', '/v1/collaborations', {
    name: `PSI benchmark (${suite})`,
    parties: [{ nodeId: brand.identity.nodeId, role: 'brand' }, { nodeId: partner.identity.nodeId, role: 'partner' }],
    purpose: BENCH_PURPOSE,
    recipients: [BENCH_RECIPIENT],
    outputs: { matchedToBrand: true, matchedToPartner: false },
    idTypes: ['email'],
    suite,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const id = created.id!;
  await brand.call('POST', `/v1/collaborations/${id}/approve`, { constraints: {} });
  await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner, collaborationId: id });
  await partner.call('POST', `/v1/collaborations/${id}/approve`, { constraints: {} });
  await until(async () => ((await brand.call('GET', `/v1/collaborations/${id}`)).status === 'approved' ? true : undefined), 'the approval to reach the brand', 60_000);
  return id;
}

/** Starts a run as the brand and follows both nodes until it is finished; throws if it failed. */
export async function runPsi(brand: PsiBenchNode, partner: PsiBenchNode, collaborationId: string, progress: (line: string) => void): Promise<PsiRunFigures> {
  const started = performance.now();
  const startedAt = Date.now();
  const runId = (await brand.call('POST', '/v1/psi/runs', { collaborationId })).id!;
  let acceptedAt: number | undefined;
  let readyAt: number | undefined;
  let reported = started;
  const run = await until(
    async () => {
      if (readyAt === undefined) {
        const server = await partner.call('GET', `/v1/psi/runs/${runId}`).catch(() => undefined);
        if (server) {
          acceptedAt ??= Date.parse(server.createdAt as string);
          if (server.status !== 'preparing') readyAt = Date.now();
        }
      }
      const client = await brand.call('GET', `/v1/psi/runs/${runId}`);
      if (performance.now() - reported > 10_000) {
        reported = performance.now();
        progress(`  run ${runId}: ${client.status} after ${Math.round((reported - started) / 1000)} s`);
      }
      return client.status === 'finished' || client.status === 'failed' ? client : undefined;
    },
    `run ${runId}`,
    6 * 3_600_000,
  );
  const wallMs = performance.now() - started;
  if (run.status !== 'finished') throw new Error(`the run failed: ${String(run.error)}`);
  const result = run.result as { decision: { released: boolean; total?: number }; membersStored: number; timingsMs: Record<string, number>; bytes: { sent: number; received: number } };
  const accepted = acceptedAt ?? startedAt;
  return {
    runId,
    wallMs,
    inputMs: Math.max(0, accepted - startedAt),
    serverPrepareMs: Math.max(0, (readyAt ?? accepted) - accepted),
    timingsMs: result.timingsMs,
    bytes: result.bytes,
    matched: result.decision.total ?? 0,
    membersStored: result.membersStored,
  };
}
