/** A worker thread running a TypeScript module (see typescript-worker.mjs for why it needs an entry of its own). */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const ENTRY = new URL('./typescript-worker.mjs', import.meta.url);

export function typescriptWorker(module: URL, options: Omit<WorkerOptions, 'argv'> = {}): Worker {
  return new Worker(ENTRY, { ...options, argv: [module.href] });
}
