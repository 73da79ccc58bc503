/**
 * Where ingest seals identifiers (identifier-sealing.ts): on the main thread, or in a worker
 * thread so that reading and checking rows, sealing them and the database applying the chunk
 * before all run at the same time. Starting the worker costs a few hundred milliseconds, so only
 * large files use it. Batches are answered in the order they were sent. A worker that fails
 * rejects every batch still pending and every later one: the chunk waiting for them does not
 * commit, and the run stops after its last committed chunk, resumable.
 */
import { typescriptWorker } from '../../crypto/typescript-worker.ts';
import type { Identifier } from '../identifiers/identifier.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { sealingOf, unpackSealings, type IdentifierSealing } from './identifier-sealing.ts';
import type { SealBatchMessage, SealWorkerMessage } from './seal-worker.ts';

export interface IdentifierSealer {
  seal(identifiers: readonly Identifier[]): Promise<IdentifierSealing[]>;
  close(): Promise<void>;
}

/** Seals on the calling thread, at once. */
export function inlineSealer(keys: IdentifierKeys, tenantId: string): IdentifierSealer {
  return {
    seal: (identifiers) => Promise.resolve(identifiers.map((identifier) => sealingOf(keys, tenantId, identifier))),
    close: () => Promise.resolve(),
  };
}

const SEAL_WORKER = new URL('./seal-worker.ts', import.meta.url);

export class SealWorkerError extends Error {
  readonly code = 'ACCORD_ERR_SEAL_WORKER';
}

interface Pending {
  readonly count: number;
  readonly resolve: (sealings: IdentifierSealing[]) => void;
  readonly reject: (error: Error) => void;
}

/** Seals in a worker thread that holds only this tenant's keys. */
export function workerSealer(keys: IdentifierKeys, tenantId: string): IdentifierSealer {
  const worker = typescriptWorker(SEAL_WORKER, { workerData: keys.tenantKeys(tenantId) });
  // Only a batch keeps the thread from exiting with the process: an idle sealer holds nothing open.
  worker.unref();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let failure: Error | undefined;
  let closed = false;

  const fail = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(failure);
    pending.clear();
  };
  worker.on('message', (message: SealWorkerMessage) => {
    const batch = pending.get(message.id);
    if (!batch) return;
    pending.delete(message.id);
    if (pending.size === 0) worker.unref();
    if ('error' in message) batch.reject(new SealWorkerError(`sealing failed: ${message.error}`));
    else {
      try {
        batch.resolve(unpackSealings(message.packed, batch.count));
      } catch (error) {
        batch.reject(error as Error);
      }
    }
  });
  worker.on('error', (error) => fail(new SealWorkerError(`the sealing thread failed: ${error.message}`)));
  worker.on('exit', (code) => fail(new SealWorkerError(closed ? 'the sealer is closed' : `the sealing thread exited with code ${code}`)));

  return {
    seal(identifiers) {
      if (failure) return Promise.reject(failure);
      if (identifiers.length === 0) return Promise.resolve([]);
      const message: SealBatchMessage = {
        id: nextId++,
        types: identifiers.map((identifier) => identifier.type),
        scopes: identifiers.map((identifier) => identifier.scope ?? ''),
        values: identifiers.map((identifier) => identifier.value),
      };
      return new Promise((resolve, reject) => {
        pending.set(message.id, { count: identifiers.length, resolve, reject });
        worker.ref();
        worker.postMessage(message);
      });
    },
    async close() {
      closed = true;
      await worker.terminate();
    },
  };
}
