/**
 * One worker thread of a scoring pool (scoring-pool.ts), with its own SEAL instance (node-seal is
 * single-threaded WASM, so threads are the only way to use a second core). A provider worker holds
 * a share of the provider's features and computes their masked products (the cross terms stay with
 * the calling thread); a brand worker holds the brand's key and decrypts slot sums. Tasks and results cross as structured clones; errors cross as
 * name, code and message, so the pool rethrows them with their codes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSealBackend } from '../../crypto/he/seal-backend.ts';
import { startProviderShare, type OpenedResiduals } from './provider-session.ts';
import type { ScoringWorkerData, ScoringWorkerReply, ScoringWorkerTask } from './scoring-worker-messages.ts';

async function serve(): Promise<void> {
  const port = parentPort!;
  const data = workerData as ScoringWorkerData;
  const backend = await loadSealBackend();
  let run: (task: ScoringWorkerTask) => { reply: ScoringWorkerReply; transfer: ArrayBuffer[] };
  if (data.role === 'provider') {
    const session = startProviderShare(backend, data.share);
    session.prepare();
    run = (task) => {
      const products = session.productParts((task as { opened: OpenedResiduals }).opened, session.allFeatures(), false);
      // SEAL's serialisations are fresh buffers of their own; transfer them rather than copy.
      const whole = products.parts.filter((part) => part.byteOffset === 0 && part.byteLength === part.buffer.byteLength);
      return { reply: { id: task.id, products }, transfer: whole.map((part) => part.buffer as ArrayBuffer) };
    };
  } else {
    const context = backend.createContext(data.heParams);
    const key = context.loadSecretKey(data.key);
    run = (task) => ({ reply: { id: task.id, sums: Float64Array.from((task as { parts: Uint8Array[] }).parts, (part) => key.decryptSum(part)) }, transfer: [] });
  }
  port.on('message', (task: ScoringWorkerTask) => {
    try {
      const { reply, transfer } = run(task);
      port.postMessage(reply, transfer);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const code = 'code' in e && typeof e.code === 'string' ? e.code : null;
      port.postMessage({ id: task.id, failure: { name: e.name, code, message: e.message } } satisfies ScoringWorkerReply);
    }
  });
  port.postMessage({ id: -1, ready: true } satisfies ScoringWorkerReply);
}

await serve();
