/**
 * Composition root for a node process: opens the database (migrating it), loads the node identity,
 * starts the job runner and the HTTP server. `accord start`, `accord worker`, the demo and the
 * benchmarks all start nodes through here.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../core/config/config.ts';
import { ConsentGate } from '../core/consent/consent-gate.ts';
import { migrateToLatest } from '../core/db/migrate.ts';
import { databaseTargetOf, openDatabase, type OpenDatabase } from '../core/db/open-database.ts';
import { resolveMasterKey } from '../core/identity/master-key.ts';
import { loadOrCreateNodeIdentity, type NodeIdentity } from '../core/identity/node-identity.ts';
import { createBullmqRunner } from '../core/jobs/bullmq-runner.ts';
import { createInProcessRunner } from '../core/jobs/in-process-runner.ts';
import type { JobProcessors, JobRunner } from '../core/jobs/job-runner.ts';
import { DEFAULT_TENANT, ensureTenant } from '../core/tenancy/tenants.ts';
import { followConsentChanges } from '../core/activation/follow-withdrawals.ts';
import { changeFeedOf } from '../core/db/change-feed.ts';
import { nodeAudienceConnectors } from './audience-connectors.ts';
import { buildApp } from './app.ts';
import { nodeJobProcessors } from './job-processors.ts';
import { PsiEngines } from '../core/psi/psi-engines.ts';
import { createMetrics } from './plugins/metrics.ts';

export interface NodeRoles {
  /** Serve HTTP. */
  api: boolean;
  /** Run jobs (with Redis: relay the outbox and consume the queue). */
  worker: boolean;
}

export interface RunningNode {
  readonly database: OpenDatabase;
  readonly identity: NodeIdentity;
  readonly jobs: JobRunner;
  readonly app: FastifyInstance | undefined;
  /** http://host:port once listening. */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/** Running jobs older than this are presumed abandoned by a dead worker on a shared database. */
const SHARED_DB_JOB_LEASE_MS = 10 * 60_000;

export async function startNode(
  config: Config,
  roles: NodeRoles = { api: true, worker: true },
  /** Defaults to every processor of this node (api/job-processors.ts). */
  processors?: JobProcessors,
): Promise<RunningNode> {
  const database = await openDatabase(databaseTargetOf(config));
  // Undone last to first; close() may be called more than once.
  const cleanups: Array<() => Promise<void>> = [() => database.close()];
  const closeAll = async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
  };
  try {
    const { db } = database;
    await migrateToLatest(db);
    const masterKey = resolveMasterKey(config);
    const identity = await loadOrCreateNodeIdentity(db, masterKey, config.partyName);
    await ensureTenant(db, DEFAULT_TENANT, config.partyName);

    const metrics = createMetrics();
    const onOutcome = (name: string, outcome: string) => metrics.jobOutcomes.inc({ name, outcome });
    const abandonedAfterMs = database.target.kind === 'pglite' ? 0 : SHARED_DB_JOB_LEASE_MS;
    const psiEngines = new PsiEngines();
    cleanups.push(() => psiEngines.close());
    // One gate for the node's API and jobs: each consent projection is loaded, and held, once.
    const gate = new ConsentGate();
    const audienceConnectors = nodeAudienceConnectors(config);
    const runs = processors ?? nodeJobProcessors(db, identity, masterKey, psiEngines, gate, undefined, { connectors: audienceConnectors });
    const jobs = config.redisUrl
      ? createBullmqRunner(db, runs, {
          redisUrl: config.redisUrl,
          concurrency: config.workerConcurrency,
          work: roles.worker,
          abandonedAfterMs,
          onOutcome,
        })
      : createInProcessRunner(db, runs, { concurrency: config.workerConcurrency, abandonedAfterMs, onOutcome });
    cleanups.push(() => jobs.stop());
    if (!roles.worker && jobs.kind === 'in-process') {
      console.warn('accord: running without a worker and without REDIS_URL: queued jobs wait until a worker starts');
    }
    if (roles.worker || jobs.kind === 'bullmq') await jobs.start();
    if (roles.worker) {
      // Withdrawals reach the ad platforms: consent changes queue the removals of whoever lost consent.
      const unfollow = followConsentChanges(db, changeFeedOf(db), () => jobs.wake(), (error) => console.error('accord: queueing activation removals failed', error));
      cleanups.push(async () => unfollow());
    }

    let app: FastifyInstance | undefined;
    let url: string | undefined;
    if (roles.api) {
      app = await buildApp({
        db,
        identity,
        masterKey,
        metrics,
        readinessChecks: { database: database.ping, queue: () => jobs.ping() },
        bodyLimitBytes: config.bodyLimitBytes,
        rateLimitPerMinute: config.rateLimitPerMinute,
        logLevel: config.logLevel,
        psiEngines,
        gate,
        audienceConnectors,
      });
      const server = app;
      cleanups.push(() => server.close());
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
      app.log.info({ url, database: database.description, queue: jobs.kind, nodeId: identity.nodeId }, 'Accord node ready');
    }
    return { database, identity, jobs, app, url, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
