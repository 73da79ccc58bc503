/**
 * Nonces of accepted node requests, kept in the database so a replay is refused across restarts and
 * by every process of the node. A nonce only needs remembering while its timestamp is inside the
 * clock window; older rows are pruned, at most once a minute per process.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { CLOCK_WINDOW_MS } from './node-request-signature.ts';

const PRUNE_EVERY_MS = 60_000;
const lastPruned = new WeakMap<Kysely<Database>, number>();

/** True the first time (node, nonce) is seen; false for a replay. */
export async function rememberNonce(db: Kysely<Database>, nodeId: string, nonce: string, now = Date.now()): Promise<boolean> {
  const inserted = await db
    .insertInto('node_request_nonces')
    .values({ node_id: nodeId, nonce })
    .onConflict((oc) => oc.columns(['node_id', 'nonce']).doNothing())
    .returning('nonce')
    .executeTakeFirst();
  if (now - (lastPruned.get(db) ?? 0) > PRUNE_EVERY_MS) {
    lastPruned.set(db, now);
    // Twice the window: a request may be stamped up to one window ahead of this clock.
    await db.deleteFrom('node_request_nonces').where('seen_at', '<', sql<Date>`now() - ${`${(2 * CLOCK_WINDOW_MS) / 1000} seconds`}::interval`).execute();
  }
  return inserted !== undefined;
}
