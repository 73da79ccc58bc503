/**
 * Deterministic disposal of homomorphic-encryption handles. SEAL objects live in WASM memory that
 * V8 does not count, so its garbage collector neither hurries nor frees them in time (measured: 3,000
 * dropped ciphertexts kept 1.1 GB); every handle is disposed on the path that made it, error or not.
 */
import type { HeDisposable } from './he-backend.ts';

export class HeScope implements HeDisposable {
  private readonly held: HeDisposable[] = [];

  /** Keeps `handle` until the scope is disposed, and returns it. */
  track<T extends HeDisposable>(handle: T): T {
    this.held.push(handle);
    return handle;
  }

  /** Disposes every tracked handle, newest first; safe to call twice. */
  dispose(): void {
    for (let handle = this.held.pop(); handle; handle = this.held.pop()) handle.dispose();
  }
}

/** Runs `work` with a fresh scope that is disposed when it returns or throws. */
export function withHeScope<T>(work: (scope: HeScope) => T): T {
  const scope = new HeScope();
  try {
    return work(scope);
  } finally {
    scope.dispose();
  }
}
