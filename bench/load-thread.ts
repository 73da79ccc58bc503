/**
 * autocannon in a thread of its own, for loads that last as long as some work does: started with
 * its settings, it loads until told 'stop', then answers with its figures. Its own thread (unlike
 * load.ts, whose worker mode cannot be stopped with a result) keeps the load generator measuring on
 * time while the main thread, the server's, is busy. Started by open-ended-load.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { RouteFigures } from './open-ended-load.ts';

const options = workerData as autocannon.Options;
// Off the main thread autocannon answers with its raw histograms, for its own manager to combine.
const aggregate = (autocannon as unknown as { aggregateResult(results: unknown[], options: autocannon.Options): autocannon.Result }).aggregateResult;

const instance = autocannon(options, (error, raw) => {
  if (error) parentPort!.postMessage({ error: (error as Error).message });
  else {
    const result = aggregate([raw], options);
    const figures: RouteFigures = {
      requests: result.requests.total,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      latencyMaxMs: result.latency.max,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    };
    parentPort!.postMessage({ figures });
  }
  parentPort!.close();
});
parentPort!.once('message', () => instance.stop());
