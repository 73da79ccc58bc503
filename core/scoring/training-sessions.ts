/**
 * The HE sessions a node's workers keep between steps, per tenant and model: building one means
 * loading the rows' data and encoding it, so a worker keeps it for every later step. They are a
 * cache only: a worker that dies loses them, and the next builds them again from what is stored.
 */
import type { HeDisposable } from '../../crypto/he/he-backend.ts';

export class TrainingSessions {
  private readonly open = new Map<string, Promise<HeDisposable>>();

  get<T extends HeDisposable>(key: string, build: () => Promise<T>): Promise<T> {
    let session = this.open.get(key);
    if (!session) {
      session = build();
      this.open.set(key, session);
      // A failed build is not kept: the next call tries again.
      session.catch(() => this.open.delete(key));
    }
    return session as Promise<T>;
  }

  async drop(key: string): Promise<void> {
    const session = this.open.get(key);
    this.open.delete(key);
    (await session?.catch(() => undefined))?.dispose();
  }

  async clear(): Promise<void> {
    await Promise.all([...this.open.keys()].map((key) => this.drop(key)));
  }
}
