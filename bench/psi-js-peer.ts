/**
 * The comparison peer of the PSI benchmark: OpenMined's @openmined/psi.js (BoringSSL P-256 compiled
 * to WASM, single-threaded), run on the same sets in this process. It is not a project dependency:
 * it is installed on first use into bench/.peers/psi-js (git-ignored). `--ignore-scripts` because
 * its dependency protoc-gen-js downloads a compiler binary at install time, which running it does
 * not need.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const PSI_JS_VERSION = '2.0.6';
const PEER_DIR = join(dirname(fileURLToPath(import.meta.url)), '.peers', 'psi-js');
const PACKAGE = '@openmined/psi.js';

interface Serializable {
  serializeBinary(): Uint8Array;
}
interface Deserializer {
  deserializeBinary(bytes: Uint8Array): Serializable;
}
interface PsiJsServer {
  createSetupMessage(fpr: number, numClientInputs: number, inputs: readonly string[], dataStructure: unknown): Serializable;
  processRequest(request: Serializable): Serializable;
  delete(): void;
}
interface PsiJsClient {
  createRequest(inputs: readonly string[]): Serializable;
  getIntersection(setup: Serializable, response: Serializable): number[];
  delete(): void;
}
export interface PsiJs {
  readonly serverSetup: Deserializer;
  readonly request: Deserializer;
  readonly response: Deserializer;
  readonly dataStructure: { readonly GCS: unknown };
  readonly server: { createWithNewKey(revealIntersection: boolean): PsiJsServer };
  readonly client: { createWithNewKey(revealIntersection: boolean): PsiJsClient };
}

export interface PsiJsFigures {
  /** server setup (blind own set, build the GCS), client request (blind), server response (re-blind), client intersect (unblind, look up). */
  readonly phasesMs: { setup: number; request: number; response: number; intersect: number };
  readonly totalMs: number;
  readonly bytes: { setup: number; request: number; response: number };
  readonly found: number;
}

function installedVersion(): string | undefined {
  const manifest = join(PEER_DIR, 'node_modules', PACKAGE, 'package.json');
  return existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : undefined;
}

/** Installs psi.js into its own folder unless that version is there, and loads it. */
export async function loadPsiJs(progress: (line: string) => void): Promise<PsiJs> {
  if (installedVersion() !== PSI_JS_VERSION) {
    progress(`installing ${PACKAGE}@${PSI_JS_VERSION} into ${PEER_DIR}`);
    await mkdir(PEER_DIR, { recursive: true });
    try {
      await promisify(execFile)('npm', ['install', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund', '--prefix', PEER_DIR, `${PACKAGE}@${PSI_JS_VERSION}`], { timeout: 300_000 });
    } catch (error) {
      // npm's own explanation (offline, registry refused) is in its `npm error` lines.
      const npmSays = String((error as { stderr?: unknown }).stderr ?? '').split('\n').filter((line) => line.startsWith('npm error')).slice(0, 3).join(' / ');
      throw new Error(`npm install failed${npmSays ? `: ${npmSays}` : ''}`, { cause: error });
    }
    if (installedVersion() !== PSI_JS_VERSION) throw new Error(`npm finished but ${PACKAGE}@${PSI_JS_VERSION} is not in ${PEER_DIR}`);
  }
  const loaded = createRequire(join(PEER_DIR, 'package.json'))(PACKAGE) as (() => Promise<PsiJs>) | { default: () => Promise<PsiJs> };
  return (typeof loaded === 'function' ? loaded : loaded.default)();
}

/**
 * One psi.js run, both roles in turn, every message serialised and parsed as it would cross the
 * wire; the server holds `serverInputs`, the client `clientInputs` and learns which of its own match.
 * `fpr` is the GCS false-positive rate over the whole client set.
 */
export function runPsiJs(psi: PsiJs, serverInputs: readonly string[], clientInputs: readonly string[], fpr: number): PsiJsFigures {
  const server = psi.server.createWithNewKey(true);
  const client = psi.client.createWithNewKey(true);
  try {
    let mark = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - mark;
      mark = now;
      return Math.round(ms);
    };
    const started = mark;
    const setup = server.createSetupMessage(fpr, clientInputs.length, serverInputs, psi.dataStructure.GCS).serializeBinary();
    const setupMs = lap();
    const request = client.createRequest(clientInputs).serializeBinary();
    const requestMs = lap();
    const response = server.processRequest(psi.request.deserializeBinary(request)).serializeBinary();
    const responseMs = lap();
    const found = client.getIntersection(psi.serverSetup.deserializeBinary(setup), psi.response.deserializeBinary(response)).length;
    const intersectMs = lap();
    return {
      phasesMs: { setup: setupMs, request: requestMs, response: responseMs, intersect: intersectMs },
      totalMs: Math.round(performance.now() - started),
      bytes: { setup: setup.length, request: request.length, response: response.length },
      found,
    };
  } finally {
    server.delete();
    client.delete();
  }
}
