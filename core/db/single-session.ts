/**
 * Whether a database is one session (embedded PGlite): there a transaction holds the only session,
 * and every other request of the node, a consent check included, waits until it ends. Bulk work on
 * such a database commits in short transactions so that no request waits long. On a Postgres
 * server other requests run beside a long transaction, so bulk work there keeps its larger steps.
 */
import type { Kysely } from 'kysely';

const singleSession = new WeakSet<object>();

/** Called by openDatabase for the embedded database. */
export function markSingleSession<D>(db: Kysely<D>): void {
  singleSession.add(db);
}

export function isSingleSession<D>(db: Kysely<D>): boolean {
  return singleSession.has(db);
}
