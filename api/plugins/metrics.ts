/** Prometheus metrics at /metrics (scope metrics:read): process defaults, HTTP requests by route and status, job outcomes. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly jobOutcomes: Counter<'name' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'accord_' });
  const jobOutcomes = new Counter({
    name: 'accord_jobs_total',
    help: 'Jobs finished, by job name and outcome (completed, retry, failed)',
    labelNames: ['name', 'outcome'] as const,
    registers: [registry],
  });
  return { registry, jobOutcomes };
}

export const httpMetrics = fp(async (app: FastifyInstance, { metrics }: { metrics: Metrics }) => {
  const duration = new Histogram({
    name: 'accord_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs share one label so scanners cannot blow up the series count.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // Not public: a node faces its peers and the internet, and request counts by route tell anyone how
  // busy its collaborations, consent collection and privacy requests are. A scraper holds a key with
  // metrics:read. The series carry no tenant, only routes, statuses and job names. Rate limited like
  // every keyed route, so it is no way around the limit on key guesses; a scrape is a few a minute.
  app.get('/metrics', { schema: { hide: true }, config: { scope: 'metrics:read' } }, async (_request, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
});
