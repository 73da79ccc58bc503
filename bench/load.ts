/**
 * HTTP load with autocannon, shared by the HTTP benchmarks. The load runs in an autocannon worker
 * thread by default so the server under test keeps the main thread's event loop to itself.
 */
import autocannon from 'autocannon';

export interface LoadSettings {
  /** Seconds measured. */
  duration: number;
  connections: number;
  pipelining: number;
  /** Seconds of load before the measured run, not counted; 0 for none. */
  warmup: number;
  /** autocannon worker threads; 0 runs the load on the main thread, beside the server. */
  workers: number;
}

export interface LoadFigures {
  /** Mean of the per-second request counts. */
  reqPerSec: number;
  /** Responses received over the measured duration. */
  requests: number;
  latencyAvgMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
}

/** What each request sends; a plain GET when absent. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

function fire(url: string, settings: LoadSettings, duration: number, request?: LoadRequest): Promise<autocannon.Result> {
  return autocannon({
    url,
    duration,
    ...(request ? { method: request.method, headers: request.headers ?? {}, ...(request.body ? { body: request.body } : {}) } : {}),
    connections: settings.connections,
    pipelining: settings.pipelining,
    ...(settings.workers > 0 ? { workers: settings.workers } : {}),
  });
}

export async function measure(url: string, settings: LoadSettings, request?: LoadRequest): Promise<LoadFigures> {
  if (settings.warmup > 0) await fire(url, settings, settings.warmup, request);
  const result = await fire(url, settings, settings.duration, request);
  return {
    reqPerSec: result.requests.average,
    requests: result.requests.total,
    latencyAvgMs: result.latency.average,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSec: result.duration,
  };
}

/** Fails fast, before any load, when the endpoint does not answer as expected. */
export async function expectOk(url: string, request?: LoadRequest): Promise<void> {
  const response = await fetch(url, request ? { method: request.method, headers: request.headers ?? {}, ...(request.body ? { body: request.body } : {}) } : {});
  const body = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
}
