/**
 * One node of the demo, run as two parties would run theirs: its own `accord start` process with
 * its own data folder (embedded database, in-process jobs, whatever the shell says), an admin key
 * made with `accord keys create` before it starts, and a small HTTP client for its API. The demo
 * knows a node only through that API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkFailureReason } from '../../core/peers/network-failure-reason.ts';
import { PeerError } from '../../core/peers/peer-errors.ts';

const bin = fileURLToPath(new URL('../../bin/accord.js', import.meta.url));
const READY_WITHIN_MS = 120_000;
const STOP_WITHIN_MS = 30_000;

/**
 * Every child this process started and that still runs. However the demo process ends (an error,
 * a signal, process.exit), none outlives it: a node still starting, or one that did not stop in
 * time, is killed on exit.
 */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface DemoNode {
  readonly name: string;
  readonly url: string;
  readonly nodeId: string;
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /**
   * A GET that polls a run: asked again (for up to a minute) when the connection drops before the
   * answer, since asking twice changes nothing. A node busy with bulk work can close an idle
   * keep-alive connection just as the next poll reuses it.
   */
  poll<T>(path: string): Promise<T>;
  /** The longest a poll waited for its answer, retries included: how long the node kept clients waiting. */
  slowestPollMs(): number;
  /** POSTs a file body of the given content type. */
  upload<T>(path: string, contentType: string, body: string): Promise<T>;
  /** Stops the node's process and removes its data; says what the process used. */
  close(): Promise<NodeUsage | undefined>;
}

export interface NodeUsage {
  /** Peak resident memory of the node's process (Linux /proc; undefined elsewhere). */
  peakRssBytes: number | undefined;
}

/** A free loopback port, taken from the system and released for the node to listen on. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Runs `accord <args>` for the node and resolves with its stdout; a failure names the node and the command. */
async function accord(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = track(spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${name}: accord ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
  return stdout;
}

async function peakRss(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

export async function startDemoNode(partyName: string): Promise<DemoNode> {
  const dataDir = await mkdtemp(join(tmpdir(), 'accord-demo-'));
  const port = await freePort();
  // Only what the node needs: the shell's DATABASE_URL or REDIS_URL must not reach a demo node.
  // The demo plays a bulk pipeline through the point API, so it lifts the per-key rate limit.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    ACCORD_DATA_DIR: dataDir,
    ACCORD_PARTY_NAME: partyName,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ACCORD_RATE_LIMIT_PER_MINUTE: '1000000',
  };
  const removeData = () => rm(dataDir, { recursive: true, force: true });
  let token: string;
  try {
    token = (await accord(partyName, ['keys', 'create', '--scopes', 'admin', '--name', 'demo'], env)).trim();
  } catch (error) {
    await removeData();
    throw error;
  }

  const child = track(spawn(process.execPath, [bin, 'start'], { env, stdio: ['ignore', 'inherit', 'inherit'] }));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let running = true;
  void exited.then(() => (running = false));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<NodeUsage | undefined> => {
    const usage = { peakRssBytes: await peakRss(child.pid) };
    if (running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WITHIN_MS);
      await exited;
      clearTimeout(timer);
    }
    await removeData();
    return usage;
  };
  try {
    const deadline = Date.now() + READY_WITHIN_MS;
    for (;;) {
      if (!running) {
        const [code, signal] = await exited;
        throw new Error(`${partyName}: accord start exited with ${code ?? signal} before it answered /health`);
      }
      const healthy = await fetch(`${url}/health`).then((response) => response.ok, () => false);
      if (healthy) break;
      if (Date.now() > deadline) throw new Error(`${partyName}: accord start did not answer ${url}/health within ${READY_WITHIN_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const api = demoApi(partyName, url, token);
    const { nodeId } = await api.call<{ nodeId: string }>('GET', '/.well-known/accord-node');
    return { name: partyName, url, nodeId, ...api, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The demo's calls to a node's API with its admin key. A node that does not answer or refuses is
 * one coded error naming the node, the request and why, as for any other node the CLI calls.
 */
const POLL_RETRY_MS = 1_000;
const POLL_RETRIES = 60;

export function demoApi(name: string, url: string, token: string): Pick<DemoNode, 'call' | 'poll' | 'slowestPollMs' | 'upload'> {
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
  let slowestPoll = 0;
  const poll = async <T>(path: string): Promise<T> => {
    const started = performance.now();
    for (let retry = 1; ; retry++) {
      try {
        const answer = await send<T>('GET', path, undefined, 'application/json');
        slowestPoll = Math.max(slowestPoll, performance.now() - started);
        return answer;
      } catch (error) {
        if (!(error instanceof PeerError && error.code === 'ACCORD_ERR_PEER_UNREACHABLE') || retry > POLL_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, POLL_RETRY_MS));
      }
    }
  };
  return {
    call: <T>(method: string, path: string, body?: unknown) => send<T>(method, path, body === undefined ? undefined : JSON.stringify(body), 'application/json'),
    poll,
    slowestPollMs: () => slowestPoll,
    upload: <T>(path: string, contentType: string, body: string) => send<T>('POST', path, body, contentType),
  };
}
