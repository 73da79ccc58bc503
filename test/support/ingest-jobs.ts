/** Uploaded ingest files run as jobs: a runner with the node's ingest job, and a client's poll of a 202's run. */
import type { FastifyInstance } from 'fastify';
import { IdentifierKeys } from '../../core/identifiers/identifier-keys.ts';
import { INGEST_FILE_JOB, ingestFileJob } from '../../core/ingest/ingest-file-job.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { createTestRunner, waitFor, type QueueBackend } from './job-runners.ts';
import { bearer } from './test-app.ts';
import type { TestDatabase } from './test-database.ts';

/** Started; `masterKey` must be the app's, so the job seals identifiers as the API would. */
export async function startIngestRunner(queue: QueueBackend, t: TestDatabase, masterKey: Uint8Array): Promise<JobRunner> {
  const runner = createTestRunner(queue, t.db, { [INGEST_FILE_JOB]: ingestFileJob(t.db, new IdentifierKeys(masterKey)) });
  await runner.start();
  return runner;
}

/** The run as GET /v1/ingest/runs/{id} answers it. */
export type RunJson = { id: string; status: string; bytes: number; error: { row: number; reason: string; detail: string } | null; [field: string]: unknown };

/** Polls the run at the Location of an upload's answer until it is completed or failed. */
export function ingestEnded(app: FastifyInstance, accepted: { headers: Record<string, unknown> }, token: string): Promise<RunJson> {
  const location = String(accepted.headers.location);
  return waitFor(async () => {
    const run: RunJson = (await app.inject({ method: 'GET', url: location, headers: bearer(token) })).json();
    return run.status === 'completed' || run.status === 'failed' ? run : undefined;
  }, `ingest run at ${location}`, 60_000);
}
