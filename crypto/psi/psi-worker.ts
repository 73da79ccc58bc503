/**
 * One PSI worker thread: loads its own instance of the suite's bulk implementation (a libsodium
 * WASM instance, or the native addon), then runs one batch at a time for psi-engine.ts. Batches
 * arrive and leave as transferred ArrayBuffers, so only the 32-byte key and the DST are copied.
 * Started through psi-worker-bootstrap.mjs, which makes TypeScript loadable in the thread.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { loadPsiGroup } from './load-psi-group.ts';
import type { PsiGroup } from './psi-group.ts';
import { PsiPointError } from './psi-point-error.ts';
import type { PsiSuite } from './suites.ts';

export type PsiOperation = 'hashAndBlind' | 'reblind' | 'unblind' | 'sum';

export interface PsiWorkerData {
  readonly suite: PsiSuite;
}

export interface PsiTaskMessage {
  readonly id: number;
  readonly op: PsiOperation;
  readonly input: Uint8Array;
  readonly key: Uint8Array;
  readonly dst: Uint8Array | null;
}

export type PsiWorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'load-failed'; readonly message: string }
  | { readonly kind: 'done'; readonly id: number; readonly output: Uint8Array }
  | { readonly kind: 'invalid-point'; readonly id: number; readonly index: number; readonly reason: string }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

function runTask(group: PsiGroup, task: PsiTaskMessage): Uint8Array {
  switch (task.op) {
    case 'hashAndBlind':
      return group.hashAndBlind(task.input, task.dst ?? new Uint8Array(0), task.key);
    case 'reblind':
      return group.reblind(task.input, task.key);
    case 'unblind':
      return group.unblind(task.input, task.key);
    case 'sum':
      return group.sum(task.input);
  }
}

function answer(group: PsiGroup, task: PsiTaskMessage): { message: PsiWorkerMessage; transfer: ArrayBuffer[] } {
  try {
    const output = runTask(group, task);
    return { message: { kind: 'done', id: task.id, output }, transfer: [output.buffer as ArrayBuffer] };
  } catch (error) {
    if (error instanceof PsiPointError) {
      return { message: { kind: 'invalid-point', id: task.id, index: error.index, reason: error.reason }, transfer: [] };
    }
    return { message: { kind: 'failed', id: task.id, message: error instanceof Error ? error.message : String(error) }, transfer: [] };
  } finally {
    task.key.fill(0); // best effort: this thread's copy of the key is not needed any more
  }
}

async function serve(port: MessagePort, suite: PsiSuite): Promise<void> {
  let group: PsiGroup;
  try {
    group = await loadPsiGroup(suite);
  } catch (error) {
    port.postMessage({ kind: 'load-failed', message: error instanceof Error ? error.message : String(error) } satisfies PsiWorkerMessage);
    return;
  }
  port.on('message', (task: PsiTaskMessage) => {
    const { message, transfer } = answer(group, task);
    port.postMessage(message, transfer);
  });
  port.postMessage({ kind: 'ready' } satisfies PsiWorkerMessage);
}

if (parentPort) await serve(parentPort, (workerData as PsiWorkerData).suite);
