/** Public endpoints, each saying why: liveness, readiness, the node's published identity, and the console placeholder. */
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';

export interface SystemRouteDeps {
  identity: NodeIdentity;
  version: string;
  /** Named checks; each rejects while its dependency is down. */
  readinessChecks: Record<string, () => Promise<void>>;
}

const READY_TIMEOUT_MS = 2_000;

/** 'up' or 'down'. The reason goes to the log only: /ready is public and errors name hosts and users. */
async function check(name: string, probe: () => Promise<void>, log: FastifyBaseLogger): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), READY_TIMEOUT_MS))),
    ]);
    return 'up';
  } catch (error) {
    log.warn({ dependency: name, reason: (error as Error).message }, 'readiness check failed');
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

const consolePage = (partyName: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accord — ${partyName.replace(/[<>&"]/g, '')}</title></head>
<body><h1>Accord</h1><p>This node is running. The console arrives with the consent and collaboration features.</p>
<ul><li><a href="/docs">API documentation</a></li><li><a href="/.well-known/accord-node">Node identity</a></li></ul></body></html>`;

export const systemRoutes: FastifyPluginAsyncZod<SystemRouteDeps> = async (app, { identity, version, readinessChecks }) => {
  app.get(
    '/health',
    {
      config: { rateLimit: false, public: 'liveness probe for the orchestrator; answers only that the process is up' },
      schema: { tags: ['system'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      config: { rateLimit: false, public: 'readiness probe for the orchestrator; says up or down per dependency, reasons go to the log' },
      schema: {
        tags: ['system'],
        summary: 'The database and the job queue are reachable',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.string()) }),
          503: z.object({ status: z.literal('unavailable'), checks: z.record(z.string(), z.string()) }),
        },
      },
    },
    async (request, reply) => {
      const names = Object.keys(readinessChecks);
      const results = await Promise.all(names.map((name) => check(name, readinessChecks[name]!, request.log)));
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
      if (results.every((result) => result === 'up')) return { status: 'ready' as const, checks };
      return reply.code(503).send({ status: 'unavailable' as const, checks });
    },
  );

  app.get(
    '/.well-known/accord-node',
    {
      config: { public: 'peers fetch the node id and public key here before they can pin it' },
      schema: {
        tags: ['system'],
        summary: "This node's identity: peers pin its public key",
        response: {
          200: z.object({
            nodeId: z.uuid(),
            partyName: z.string(),
            algorithm: z.literal('Ed25519'),
            publicKey: z.string().describe('base64, 32 bytes'),
            version: z.string(),
          }),
        },
      },
    },
    async () => ({
      nodeId: identity.nodeId,
      partyName: identity.partyName,
      algorithm: 'Ed25519' as const,
      publicKey: Buffer.from(identity.publicKey).toString('base64'),
      version,
    }),
  );

  app.get('/', { schema: { hide: true }, config: { public: 'a static page linking the docs and the node identity' } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(consolePage(identity.partyName)));
};
