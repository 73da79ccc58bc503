/**
 * The HE work of a step spread over threads: the calling thread and `threads − 1` worker threads
 * (scoring-worker.ts), one SEAL instance each. The provider's features are shared out, the calling
 * thread also computing the cross terms; the brand's decryptions likewise. Message checks, u_p,
 * noise and weight updates stay with the sessions on the calling thread, so a pool's messages are
 * byte for byte those of the session alone. A worker that fails a task fails the call with the
 * worker's error (HeError and ScoringError keep their codes); a worker that dies breaks the pool,
 * and the caller starts a new one.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { typescriptWorker } from '../../crypto/typescript-worker.ts';
import type { BrandSession } from './brand-session.ts';
import { messageDigest } from './step-message.ts';
import type { FeatureRange, OpenedResiduals, ProductParts, ProductsReceipt, ProviderSession } from './provider-session.ts';
import { rebuildFailure, type ScoringWorkerData, type ScoringWorkerReply } from './scoring-worker-messages.ts';

const WORKER = new URL('./scoring-worker.ts', import.meta.url);

export interface ProviderPool {
  computeProducts(step: number, weights: Float64Array, residuals: Uint8Array): Promise<{ message: Uint8Array; receipt: ProductsReceipt }>;
  close(): Promise<void>;
}

export interface BrandPool {
  answerProducts(step: number, weights: Float64Array, residualsDigest: string, products: Uint8Array): Promise<{ message: Uint8Array; weights: Float64Array }>;
  close(): Promise<void>;
}

/** The session must hold the brand columns already (acceptBrandColumns): its thread computes the cross terms. */
export async function startProviderPool(session: ProviderSession, threads = availableParallelism()): Promise<ProviderPool> {
  const { providerFeatures, brandFeatures } = session.spec;
  // Shares of about equal work, counting each cross term as one more feature.
  const outputs = providerFeatures + brandFeatures + 1;
  const bounds = Array.from({ length: threads + 1 }, (_, t) => Math.max(0, Math.min(providerFeatures, Math.round((t * outputs) / threads) - (brandFeatures + 1))));
  bounds[threads] = providerFeatures;
  const own: FeatureRange = { from: 0, to: bounds[1]! };
  const pool = await ShardPool.start(bounds.slice(1, -1).map((from, w): ScoringWorkerData => ({ role: 'provider', share: session.share(from, bounds[w + 2]!) })));
  session.prepare(own);
  return {
    async computeProducts(step, weights, residuals) {
      const opened = session.openResiduals(step, weights, residuals);
      const [mine, others] = await pool.alongside(
        () => ({ opened }),
        () => session.productParts(opened, own, true),
      );
      const products = others.map((reply) => (reply as { products: ProductParts }).products);
      // This thread's features, the workers' in order, then the cross terms, which go last in the message.
      const count = own.to - own.from;
      const parts = [...mine.parts.slice(0, count), ...products.flatMap((p) => p.parts), ...mine.parts.slice(count)];
      const maskSums = Float64Array.from([mine, ...products].flatMap((p) => Array.from(p.maskSums)));
      return session.sealProducts(opened, { parts, maskSums });
    },
    close: () => pool.close(),
  };
}

export async function startBrandPool(session: BrandSession, threads = availableParallelism()): Promise<BrandPool> {
  const key = session.exportKey();
  const pool = await ShardPool.start(Array.from({ length: threads - 1 }, (): ScoringWorkerData => ({ role: 'brand', heParams: session.spec.heParams, key })));
  key.fill(0);
  return {
    async answerProducts(step, weights, residualsDigest, products) {
      const parts = session.openProducts(step, residualsDigest, products);
      const share = Math.ceil(parts.length / threads);
      const [mine, others] = await pool.alongside(
        (w) => ({ parts: parts.slice((w + 1) * share, (w + 2) * share) }),
        () => session.decryptSums(parts.slice(0, share)),
      );
      const sums = Float64Array.from([...mine, ...others.flatMap((reply) => Array.from((reply as { sums: Float64Array }).sums))]);
      return session.answerFromSums(step, weights, messageDigest(products), sums);
    },
    close: () => pool.close(),
  };
}

type TaskBody = { opened: OpenedResiduals } | { parts: Uint8Array[] };

/** One task per worker per call, all in parallel with the calling thread's own share. */
class ShardPool {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: ScoringWorkerReply) => void; reject: (error: Error) => void }>();
  private broken: Error | null = null;

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: ScoringWorkerReply) => this.settle(reply));
      worker.on('error', (error) => this.fail(new Error(`a scoring worker crashed: ${error.message}`)));
      worker.on('exit', (code) => this.fail(new Error(`a scoring worker exited (code ${code})`)));
      worker.unref();
    }
  }

  static async start(data: ScoringWorkerData[]): Promise<ShardPool> {
    const workers = data.map((workerData) => typescriptWorker(WORKER, { workerData }));
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('message', () => resolve());
              worker.once('error', reject);
            }),
        ),
      );
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new ShardPool(workers);
  }

  /** Posts one task to every worker, runs `own` on this thread meanwhile, then waits for the workers. */
  async alongside<T>(body: (worker: number) => TaskBody, own: () => T): Promise<[T, ScoringWorkerReply[]]> {
    if (this.broken) throw this.broken;
    this.workers.forEach((worker) => worker.ref());
    try {
      const replies = Promise.all(
        this.workers.map(
          (worker, w) =>
            new Promise<ScoringWorkerReply>((resolve, reject) => {
              const id = this.nextId++;
              this.pending.set(id, { resolve, reject });
              worker.postMessage({ id, ...body(w) });
            }),
        ),
      );
      // Settled either way before `own` can throw, so a worker's failure is never left unhandled.
      replies.catch(() => undefined);
      const mine = own();
      return [mine, await replies];
    } finally {
      this.workers.forEach((worker) => worker.unref());
    }
  }

  async close(): Promise<void> {
    this.fail(new Error('the scoring pool is closed'));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }

  private settle(reply: ScoringWorkerReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if ('failure' in reply) waiting.reject(rebuildFailure(reply.failure));
    else waiting.resolve(reply);
  }

  private fail(error: Error): void {
    this.broken ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
