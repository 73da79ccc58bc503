/**
 * The bulk PSI engine: a pool of worker threads, each with its own instance of the suite's
 * implementation, fed batches of at most 65,536 elements (2 MiB) as transferred ArrayBuffers.
 * Guarantees: outputs are in input order; a call either returns every element or rejects — an
 * invalid incoming element rejects the whole call with PsiPointError carrying the first bad index;
 * a crashed worker rejects every pending call with PsiEngineError and closes the engine (the
 * caller starts a new one; a crash is a bug or resource exhaustion, and retrying it blindly would
 * hide that). Keys live in the engine's memory only; destroy() zeroes them, best effort, since JS
 * memory cannot be reliably wiped.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { typescriptWorker } from '../typescript-worker.ts';
import { loadPsiGroup } from './load-psi-group.ts';
import type { PsiOperation, PsiTaskMessage, PsiWorkerData, PsiWorkerMessage } from './psi-worker.ts';
import { type PsiGroup, PsiUnsupportedError, checkDst, isAllZero, packedCount } from './psi-group.ts';
import { PsiPointError } from './psi-point-error.ts';
import { ELEMENT_BYTES, type PsiSuite, isPsiSuite } from './suites.ts';

export const PSI_BATCH_ELEMENTS = 65_536;

export interface PsiKey {
  readonly suite: PsiSuite;
  /** 32 bytes; zeroed by destroy() */
  destroy(): void;
}

export interface PsiEngine {
  readonly suite: PsiSuite;
  /** A fresh random key; use one per run, never again against the same partner. */
  newKey(): PsiKey;
  /** A copy of the key's 32 bytes, for sealing at rest (resumable runs); zero it after use. */
  exportKey(key: PsiKey): Uint8Array;
  /** A key from exported bytes (copied; the caller may zero its own). */
  importKey(bytes: Uint8Array): PsiKey;
  hashAndBlind(digests: Uint8Array, dst: Uint8Array, key: PsiKey): Promise<Uint8Array>;
  /** Validates every element. */
  reblind(elements: Uint8Array, key: PsiKey): Promise<Uint8Array>;
  /** ristretto255 only. */
  unblind(elements: Uint8Array, key: PsiKey): Promise<Uint8Array>;
  /** The group sum of every element, each validated (the identity refused); ristretto255 only. */
  sum(elements: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface PsiEngineOptions {
  readonly suite: PsiSuite;
  /** Default: os.availableParallelism(). */
  readonly workers?: number;
  /** Starts one worker thread; for tests that need a worker to misbehave. */
  readonly spawnWorker?: (data: PsiWorkerData) => Worker;
}

/** The engine cannot serve calls: a worker crashed or failed to start, or the engine was closed. */
export class PsiEngineError extends Error {
  readonly code = 'ACCORD_ERR_PSI_ENGINE';
  constructor(detail: string) {
    super(detail);
    this.name = 'PsiEngineError';
  }
}

const PSI_WORKER = new URL('./psi-worker.ts', import.meta.url);

const spawnPsiWorker = (data: PsiWorkerData) => typescriptWorker(PSI_WORKER, { workerData: data });

export async function startPsiEngine(options: PsiEngineOptions): Promise<PsiEngine> {
  if (!isPsiSuite(options.suite)) throw new RangeError(`unknown PSI suite: ${String(options.suite)}`);
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError('workers must be a positive integer');
  const group = await loadPsiGroup(options.suite);
  const spawn = options.spawnWorker ?? spawnPsiWorker;
  const pool = await WorkerPool.start(Array.from({ length: workers }, () => spawn({ suite: options.suite })));
  return new PooledPsiEngine(options.suite, group, pool);
}

// ---------------------------------------------------------------------------------------------
// Keys: the bytes stay in this module; a PsiKey is only a handle.

const keyBytes = new WeakMap<PsiKey, Uint8Array>();

function makeKey(suite: PsiSuite, bytes: Uint8Array): PsiKey {
  const key: PsiKey = Object.freeze({ suite, destroy: () => bytes.fill(0) });
  keyBytes.set(key, bytes);
  return key;
}

function bytesOf(key: PsiKey, suite: PsiSuite): Uint8Array {
  const bytes = keyBytes.get(key);
  if (!bytes) throw new TypeError('not a PSI key made by a PSI engine');
  if (key.suite !== suite) throw new RangeError(`a ${key.suite} key cannot be used by a ${suite} engine`);
  if (isAllZero(bytes)) throw new RangeError('PSI key was destroyed');
  return bytes;
}

// ---------------------------------------------------------------------------------------------

class PooledPsiEngine implements PsiEngine {
  constructor(
    readonly suite: PsiSuite,
    private readonly group: Pick<PsiGroup, 'newKey' | 'checkKey' | 'sum'>,
    private readonly pool: WorkerPool,
  ) {}

  newKey(): PsiKey {
    return makeKey(this.suite, this.group.newKey());
  }

  exportKey(key: PsiKey): Uint8Array {
    return new Uint8Array(bytesOf(key, this.suite));
  }

  importKey(bytes: Uint8Array): PsiKey {
    this.group.checkKey(bytes);
    // A copy even when handed a Buffer, whose slice() would share the caller's memory.
    return makeKey(this.suite, new Uint8Array(bytes));
  }

  hashAndBlind(digests: Uint8Array, dst: Uint8Array, key: PsiKey): Promise<Uint8Array> {
    return this.run('hashAndBlind', digests, key, dst);
  }

  reblind(elements: Uint8Array, key: PsiKey): Promise<Uint8Array> {
    return this.run('reblind', elements, key, null);
  }

  unblind(elements: Uint8Array, key: PsiKey): Promise<Uint8Array> {
    if (this.suite !== 'ristretto255') {
      return Promise.reject(new PsiUnsupportedError(this.suite));
    }
    return this.run('unblind', elements, key, null);
  }

  async sum(elements: Uint8Array): Promise<Uint8Array> {
    if (this.suite !== 'ristretto255') throw new PsiUnsupportedError(this.suite, 'sum');
    const count = packedCount(elements, 'elements');
    if (count === 0) return new Uint8Array(ELEMENT_BYTES);
    // Each worker sums its batches; the partial sums (which may cancel out) are added up here.
    return this.group.sum(await this.pool.run('sum', elements, count, new Uint8Array(0), null), true);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async run(op: PsiOperation, input: Uint8Array, key: PsiKey, dst: Uint8Array | null): Promise<Uint8Array> {
    const count = packedCount(input, op === 'hashAndBlind' ? 'digests' : 'elements');
    if (dst) checkDst(dst);
    const keyCopy = bytesOf(key, this.suite).slice();
    try {
      return count === 0 ? new Uint8Array(0) : await this.pool.run(op, input, count, keyCopy, dst);
    } finally {
      keyCopy.fill(0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The pool: a queue of batches, each worker takes the next one when it is free.

interface Call {
  readonly output: Uint8Array;
  remaining: number;
  firstInvalid: PsiPointError | null;
  failure: Error | null;
  readonly resolve: (output: Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Batch {
  readonly call: Call;
  readonly firstElement: number;
  /** Where the batch's answer goes in the call's output. */
  readonly outputAt: number;
  readonly message: PsiTaskMessage;
}

interface Slot {
  readonly worker: Worker;
  batch: Batch | null;
}

class WorkerPool {
  private readonly queue: Batch[] = [];
  private nextTaskId = 1;
  private broken: PsiEngineError | null = null;

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on('message', (message: PsiWorkerMessage) => this.onMessage(slot, message));
      slot.worker.on('error', (error) => this.fail(new PsiEngineError(`a PSI worker crashed: ${error.message}`)));
      slot.worker.on('exit', (code) => this.fail(new PsiEngineError(`a PSI worker exited unexpectedly (exit code ${code})`)));
      slot.worker.unref();
    }
  }

  static async start(workers: Worker[]): Promise<WorkerPool> {
    try {
      await Promise.all(workers.map(waitUntilReady));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new WorkerPool(workers.map((worker) => ({ worker, batch: null })));
  }

  run(op: PsiOperation, input: Uint8Array, count: number, key: Uint8Array, dst: Uint8Array | null): Promise<Uint8Array> {
    if (this.broken) return Promise.reject(this.broken);
    // Small calls still use every worker; large ones are cut at PSI_BATCH_ELEMENTS.
    const perBatch = Math.min(PSI_BATCH_ELEMENTS, Math.ceil(count / this.slots.length));
    // A sum answers one element per batch; every other operation one per input element.
    const answers = op === 'sum' ? Math.ceil(count / perBatch) : count;
    return new Promise<Uint8Array>((resolve, reject) => {
      const call: Call = { output: new Uint8Array(answers * ELEMENT_BYTES), remaining: 0, firstInvalid: null, failure: null, resolve, reject };
      for (let first = 0, batch = 0; first < count; first += perBatch, batch++) {
        const last = Math.min(count, first + perBatch);
        // A copy (Buffer#slice would be a view), so the caller's buffer is never detached by the transfer.
        const batchInput = new Uint8Array(input.subarray(first * ELEMENT_BYTES, last * ELEMENT_BYTES));
        const outputAt = (op === 'sum' ? batch : first) * ELEMENT_BYTES;
        this.queue.push({ call, firstElement: first, outputAt, message: { id: this.nextTaskId++, op, input: batchInput, key, dst } });
        call.remaining++;
      }
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.fail(new PsiEngineError('the PSI engine is closed'));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.batch) continue;
      const batch = this.queue.shift();
      if (!batch) return;
      slot.batch = batch;
      slot.worker.ref(); // a worker with work keeps the process alive; an idle one does not
      slot.worker.postMessage(batch.message, [batch.message.input.buffer as ArrayBuffer]);
    }
  }

  private onMessage(slot: Slot, message: PsiWorkerMessage): void {
    const batch = slot.batch;
    if (!batch || !('id' in message) || message.id !== batch.message.id) {
      this.fail(new PsiEngineError('a PSI worker answered out of turn'));
      return;
    }
    slot.batch = null;
    slot.worker.unref();
    const call = batch.call;
    if (message.kind === 'done') {
      call.output.set(message.output, batch.outputAt);
    } else if (message.kind === 'invalid-point') {
      const index = batch.firstElement + message.index;
      if (!call.firstInvalid || index < call.firstInvalid.index) call.firstInvalid = new PsiPointError(index, message.reason);
      this.dropQueued(call);
    } else {
      call.failure ??= new Error(message.message);
      this.dropQueued(call);
    }
    call.remaining--;
    if (call.remaining === 0) settle(call);
    this.dispatch();
  }

  /** Batches of a failed call that no worker has started are not worth computing. */
  private dropQueued(call: Call): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i]!.call === call) {
        this.queue.splice(i, 1);
        call.remaining--;
      }
    }
  }

  private fail(error: PsiEngineError): void {
    if (this.broken) return;
    this.broken = error;
    const calls = new Set<Call>([...this.queue.map((batch) => batch.call), ...this.slots.flatMap((slot) => (slot.batch ? [slot.batch.call] : []))]);
    this.queue.length = 0;
    for (const slot of this.slots) slot.batch = null;
    for (const call of calls) call.reject(error);
    for (const slot of this.slots) void slot.worker.terminate();
  }
}

function settle(call: Call): void {
  if (call.failure) call.reject(call.failure);
  else if (call.firstInvalid) call.reject(call.firstInvalid);
  else call.resolve(call.output);
}

function waitUntilReady(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (message: PsiWorkerMessage) => {
      cleanUp();
      if (message.kind === 'ready') resolve();
      else reject(new PsiEngineError(`a PSI worker could not start: ${'message' in message ? message.message : message.kind}`));
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(new PsiEngineError(`a PSI worker could not start: ${error.message}`));
    };
    const onExit = (code: number) => {
      cleanUp();
      reject(new PsiEngineError(`a PSI worker exited while starting (exit code ${code})`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
