/**
 * The node's PSI engines: one worker pool per suite, started on first use and shared by every run
 * in the process, so a node holds one WASM/native instance per core per suite however many runs
 * are open.
 */
import { startPsiEngine, type PsiEngine } from '../../crypto/psi/psi-engine.ts';
import type { PsiSuite } from '../../crypto/psi/suites.ts';

export class PsiEngines {
  private readonly started = new Map<PsiSuite, Promise<PsiEngine>>();

  constructor(private readonly workers?: number) {}

  engine(suite: PsiSuite): Promise<PsiEngine> {
    let engine = this.started.get(suite);
    if (!engine) {
      engine = startPsiEngine({ suite, ...(this.workers === undefined ? {} : { workers: this.workers }) });
      this.started.set(suite, engine);
      engine.catch(() => this.started.delete(suite));
    }
    return engine;
  }

  async close(): Promise<void> {
    const engines = [...this.started.values()];
    this.started.clear();
    await Promise.all(engines.map(async (engine) => (await engine.catch(() => undefined))?.close()));
  }
}
