/** One node of the demo: its own embedded database, an admin key, and a small HTTP client for its API. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/config.ts';
import { networkFailureReason } from '../../core/peers/network-failure-reason.ts';
import { PeerError } from '../../core/peers/peer-errors.ts';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { startNode, type RunningNode } from '../../api/start-node.ts';
import { DEFAULT_TENANT } from '../../core/tenancy/tenants.ts';

export interface DemoNode {
  readonly name: string;
  readonly node: RunningNode;
  readonly url: string;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** POSTs a file body of the given content type. */
  upload<T>(path: string, contentType: string, body: string): Promise<T>;
  close(): Promise<void>;
}

export async function startDemoNode(partyName: string): Promise<DemoNode> {
  const dataDir = await mkdtemp(join(tmpdir(), 'accord-demo-'));
  // Each demo node is self-contained: embedded database and in-process jobs, whatever the shell says.
  // The demo plays a bulk pipeline through the point API, so it lifts the per-key rate limit.
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', dataDir, partyName, logLevel: 'warn', rateLimitPerMinute: 1_000_000 });
  const node = await startNode(config);
  const tenant = await ensureTenant(node.database.db, DEFAULT_TENANT, partyName);
  const { token } = await createApiKey(node.database.db, { tenantId: tenant.id, name: 'demo', scopes: ['admin'] });
  const url = node.url!;
  return {
    name: partyName,
    node,
    url,
    ...demoApi(partyName, url, token),
    async close() {
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The demo's calls to a node's API with its admin key. A node that does not answer or refuses is
 * one coded error naming the node, the request and why, as for any other node the CLI calls.
 */
export function demoApi(name: string, url: string, token: string): Pick<DemoNode, 'call' | 'upload'> {
  const send = async <T>(method: string, path: string, body: string | undefined, contentType: string): Promise<T> => {
    const target = new URL(url + path);
    let response: Response;
    let text: string;
    try {
      response = await fetch(target, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
        ...(body === undefined ? {} : { body }),
      });
      text = await response.text();
    } catch (error) {
      throw new PeerError('ACCORD_ERR_PEER_UNREACHABLE', `${name}: ${method} ${target.origin}${target.pathname} failed: ${networkFailureReason(error, target)}`, {}, { cause: error });
    }
    if (!response.ok) throw new PeerError('ACCORD_ERR_PEER_REFUSED', `${name}: ${method} ${path} answered ${response.status}: ${text}`, { peerStatus: response.status });
    return JSON.parse(text) as T;
  };
  return {
    call: <T>(method: string, path: string, body?: unknown) => send<T>(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json'),
    upload: <T>(path: string, contentType: string, body: string) => send<T>('POST', path, body, contentType),
  };
}
