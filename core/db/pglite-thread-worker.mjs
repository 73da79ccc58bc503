// The thread that owns an embedded PGlite database (pglite-thread.ts starts it). Postgres compiled
// to WASM runs synchronously inside each statement, so here a long statement blocks only this
// thread, never the node's HTTP server. Requests arrive in order on the parent port and each gets
// one reply with its id: the rows, or the error with its Postgres fields (code, constraint…).
// Plain JavaScript, unlike the rest: a TypeScript worker needs the tsx loader started in the thread
// (crypto/typescript-worker.mjs), half a second on every database opened. Messages: pglite-thread-protocol.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const INT8 = 20;
const POSTGRES_ERROR_FIELDS = ['severity', 'code', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'];

/** @param {unknown} error */
function describe(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  /** @type {Record<string, string>} */
  const fields = {};
  for (const field of POSTGRES_ERROR_FIELDS) {
    const value = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (error))[field];
    if (typeof value === 'string') fields[field] = value;
  }
  return { name: error.name, message: error.message, fields };
}

const { dir, snapshot } = workerData;
const pglite = new PGlite({
  ...(dir ? { dataDir: dir } : {}),
  parsers: { [INT8]: (/** @type {string} */ value) => Number(value) },
  ...(snapshot ? { loadDataDir: new Blob([snapshot]) } : {}),
});
await pglite.waitReady;

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', async (request) => {
  let reply;
  try {
    if (request.kind === 'close') {
      await pglite.close();
      reply = { id: request.id, closed: true };
    } else {
      const result = await pglite.query(request.sql, request.params);
      reply = { id: request.id, rows: result.rows, affectedRows: result.affectedRows };
    }
  } catch (error) {
    reply = { id: request.id, error: describe(error) };
  }
  port.postMessage(reply);
  if (request.kind === 'close') port.close();
});
port.postMessage({ id: -1, ready: true });
