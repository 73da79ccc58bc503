/**
 * An autocannon load that runs until stopped (load-thread.ts): for measuring how an endpoint answers
 * while some work runs, however long it takes. Requests go at a fixed rate, so a stall of the server
 * shows as latency of every request that should have been sent meanwhile (autocannon corrects for
 * coordinated omission), not as a gap.
 */
import type autocannon from 'autocannon';
import { typescriptWorker } from '../crypto/typescript-worker.ts';
import type { LoadRequest } from './load.ts';

const LOAD_THREAD = new URL('./load-thread.ts', import.meta.url);
/** Longer than any work measured; the load ends when stopped. */
const UNTIL_STOPPED_SECONDS = 6 * 3600;

export interface RouteFigures {
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface OpenEndedLoad {
  stop(): Promise<RouteFigures>;
}

export interface OpenEndedSettings {
  connections: number;
  /** Requests per second over all connections. */
  rate: number;
  /** Seconds before a request counts as a timeout. */
  timeout: number;
}

export function startLoad(url: string, settings: OpenEndedSettings, requests: LoadRequest[]): OpenEndedLoad {
  const options: autocannon.Options = {
    url,
    duration: UNTIL_STOPPED_SECONDS,
    connections: settings.connections,
    overallRate: settings.rate,
    timeout: settings.timeout,
    requests: requests.map((request) => ({ method: request.method, headers: request.headers ?? {}, ...(request.body ? { body: request.body } : {}) })),
  };
  const thread = typescriptWorker(LOAD_THREAD, { workerData: options });
  const done = new Promise<RouteFigures>((resolve, reject) => {
    thread.once('message', (message: { figures?: RouteFigures; error?: string }) => (message.figures ? resolve(message.figures) : reject(new Error(`load on ${url}: ${message.error}`))));
    thread.once('error', reject);
  });
  done.catch(() => {});
  return {
    async stop() {
      thread.postMessage('stop');
      const figures = await done;
      await thread.terminate();
      return figures;
    },
  };
}
