/**
 * Embedded PGlite behind its own worker thread (pglite-thread-worker.mjs). PGlite runs Postgres as
 * WASM on the thread that calls it, and a statement runs to its end before that thread does anything
 * else: on the main thread, one long statement (an ingest chunk, a PSI set of a million rows) would
 * stall every HTTP request of the node. Here the main thread only posts the statement and waits.
 *
 * It has the shape PGliteDialect drives (waitReady, query, close), so the rest of the code sees the
 * same kysely handle. Replies come back in request order; an error keeps its Postgres fields (code,
 * constraint…) so callers handle it as they would PGlite's own. The thread holds the process open
 * only while a request is pending, as an idle in-process PGlite would not either.
 */
import { Worker } from 'node:worker_threads';
import type { PGliteReply, PGliteRequest, PGliteThreadOptions, PostgresErrorFields } from './pglite-thread-protocol.ts';

const THREAD = new URL('./pglite-thread-worker.mjs', import.meta.url);

/** An error the database raised, with its Postgres fields as PGlite's DatabaseError has them. */
export class PGliteThreadError extends Error {
  declare readonly code?: string;
  declare readonly severity?: string;
  declare readonly detail?: string;
  declare readonly hint?: string;
  declare readonly constraint?: string;
  declare readonly table?: string;
  declare readonly column?: string;

  constructor(name: string, message: string, fields: PostgresErrorFields) {
    super(message);
    this.name = name;
    for (const [field, value] of Object.entries(fields)) Object.defineProperty(this, field, { value, enumerable: true });
  }
}

export interface PGliteThreadResult<R> {
  rows: R[];
  affectedRows?: number | undefined;
}

interface Pending {
  resolve(reply: PGliteReply): void;
  reject(error: Error): void;
}

export class PGliteThread {
  readonly waitReady: Promise<void>;
  private readonly pending = new Map<number, Pending>();
  private worker: Worker | undefined;
  private nextId = 0;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: { dir?: string | undefined; snapshot?: Blob | undefined }) {
    this.waitReady = this.start(options);
    this.waitReady.catch(() => {});
  }

  private async start({ dir, snapshot }: { dir?: string | undefined; snapshot?: Blob | undefined }): Promise<void> {
    const bytes = snapshot ? await snapshot.arrayBuffer() : undefined;
    const workerData: PGliteThreadOptions = { dir, snapshot: bytes };
    const worker = new Worker(THREAD, { workerData, ...(bytes ? { transferList: [bytes] } : {}) });
    this.worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: PGliteReply) => {
        if ('ready' in reply) return resolve();
        const request = this.pending.get(reply.id);
        if (!request) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) worker.unref();
        request.resolve(reply);
      });
      const fail = (error: Error) => {
        this.failure ??= error;
        reject(this.failure);
        for (const request of this.pending.values()) request.reject(this.failure);
        this.pending.clear();
      };
      worker.on('error', (error) => fail(new Error(`the embedded database thread failed: ${error.message}`)));
      worker.on('exit', (code) => fail(new Error(this.closing ? 'the embedded database is closed' : `the embedded database thread exited with code ${code}`)));
    });
    await ready;
    worker.unref();
  }

  private async send(request: Omit<PGliteQueryRequest, 'id'> | { kind: 'close' }): Promise<PGliteReply> {
    await this.waitReady;
    if (this.failure) throw this.failure;
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise<PGliteReply>((resolve, reject) => {
      try {
        // Throws before anything is sent when a parameter cannot be copied to the thread.
        worker.postMessage({ ...request, id } as PGliteRequest);
      } catch (error) {
        return reject(error as Error);
      }
      this.pending.set(id, { resolve, reject });
      worker.ref();
    });
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<PGliteThreadResult<R>> {
    if (this.closing) throw new Error('the embedded database is closed');
    const reply = await this.send({ kind: 'query', sql, params });
    if ('error' in reply) throw new PGliteThreadError(reply.error.name, reply.error.message, reply.error.fields);
    if (!('rows' in reply)) throw new Error('the embedded database thread answered a query without rows');
    return { rows: reply.rows as R[], affectedRows: reply.affectedRows };
  }

  /** Closes the database (PGlite writes its state to the folder) and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.waitReady;
      } catch {
        return; // Never started: nothing to close.
      }
      if (this.failure) return;
      const reply = await this.send({ kind: 'close' });
      if ('error' in reply) throw new PGliteThreadError(reply.error.name, reply.error.message, reply.error.fields);
      await this.worker!.terminate();
    })();
    return this.closing;
  }
}

type PGliteQueryRequest = Extract<PGliteRequest, { kind: 'query' }>;
