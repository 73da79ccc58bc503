/**
 * `accord openapi`: prints the node's OpenAPI document without a running node or its database. The
 * app is built over a throwaway in-memory database (the routes need one to be registered), asked for
 * its document and closed; CI lints what this prints (`npm run lint:openapi`).
 */
import { parseArgs } from 'node:util';
import { buildApp } from '../api/app.ts';
import { createMetrics } from '../api/plugins/metrics.ts';
import { ConsentGate } from '../core/consent/consent-gate.ts';
import { migrateToLatest } from '../core/db/migrate.ts';
import { openDatabase } from '../core/db/open-database.ts';
import { loadOrCreateNodeIdentity } from '../core/identity/node-identity.ts';

export async function openApiCommand(args: string[]): Promise<void> {
  parseArgs({ args, options: {} });
  const database = await openDatabase({ kind: 'pglite', dir: undefined });
  try {
    await migrateToLatest(database.db);
    // A key that seals nothing: the document holds no data.
    const masterKey = new Uint8Array(32);
    const identity = await loadOrCreateNodeIdentity(database.db, masterKey, 'Accord node');
    const app = await buildApp({
      db: database.db,
      identity,
      masterKey,
      metrics: createMetrics(),
      readinessChecks: {},
      bodyLimitBytes: 1_048_576,
      rateLimitPerMinute: 600,
      logLevel: 'silent',
      gate: new ConsentGate(),
    });
    try {
      await app.ready();
      console.log(JSON.stringify(app.swagger(), null, 2));
    } finally {
      await app.close();
    }
  } finally {
    await database.close();
  }
}
