/**
 * A worker killed in the middle of training: the provider's worker has committed a step's products
 * and is sending them when it dies (its request is held, then cut). A new worker, with none of the
 * old one's HE sessions, takes the job back, rebuilds its session from the stored rows, sealed seed
 * and checkpoint, sends the same products and training ends with the model an uninterrupted run
 * gives: the steps replayed here in one process from the same data and secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSealBackend } from '../../crypto/he/seal-backend.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { batchLayout, totalSteps } from '../../core/scoring/batch-layout.ts';
import { startBrandSession } from '../../core/scoring/brand-session.ts';
import { effectiveSpecOf } from '../../core/scoring/model-proposals.ts';
import { openSecrets, requireModel } from '../../core/scoring/model-store.ts';
import { startProviderSession } from '../../core/scoring/provider-session.ts';
import { messageDigest } from '../../core/scoring/step-message.ts';
import { heSpecOf, partyColumns, rowsOf, trainingSplit } from '../../core/scoring/training-data.ts';
import { waitFor } from '../support/job-runners.ts';
import { storageBackends } from '../support/test-database.ts';
import { approvedModel, MASTER_KEY, modelEnded, startScoringPair, stopScoringNodes, TEST_POLICY, type ScoringPair, type ScoringTestNode } from './scoring-fixtures.ts';

/** The model an uninterrupted run trains from the stored data and secrets of both nodes. */
async function replay(pair: ScoringPair, modelId: string): Promise<{ brand: number[]; provider: number[] }> {
  const side = (n: ScoringTestNode) =>
    withTenant(n.node.t.db, n.node.tenantId, async (trx) => {
      const model = await requireModel(trx, modelId);
      const spec = heSpecOf(effectiveSpecOf(model), trainingSplit(model.rowPersons!.length, TEST_POLICY).train, TEST_POLICY);
      const data = rowsOf(await partyColumns(trx, effectiveSpecOf(model), model.role, model.rowPersons!), 0, spec.rows);
      return { spec, data, secrets: await openSecrets(trx, MASTER_KEY, model) };
    });
  const b = await side(pair.brand);
  const p = await side(pair.provider);
  const backend = await loadSealBackend();
  const brand = startBrandSession(backend, b.spec, { features: b.data.features, labels: b.data.labels }, { noiseSeed: b.secrets.seed, heKey: b.secrets.heKey! });
  const provider = startProviderSession(backend, p.spec, p.data.features, p.secrets.seed);
  try {
    provider.acceptBrandColumns(brand.encryptBrandColumns());
    let wb = brand.initialWeights();
    let wp = provider.initialWeights();
    for (let step = 0; step < totalSteps(b.spec, batchLayout(b.spec.rows, b.spec.batchRows, brand.context.slots)); step++) {
      const residuals = brand.encryptResiduals(step, wb);
      const products = provider.computeProducts(step, wp, residuals);
      const answer = brand.answerProducts(step, wb, messageDigest(residuals), products.message);
      wp = provider.applyMaskedSums(wp, products.receipt, answer.message).weights;
      wb = answer.weights;
    }
    return { brand: Array.from(wb), provider: Array.from(wp) };
  } finally {
    provider.dispose();
    brand.dispose();
  }
}

describe.each(storageBackends)('a scoring worker killed mid-training on %s', (backend) => {
  let pair: ScoringPair;

  beforeAll(async () => {
    pair = await startScoringPair(backend);
  }, 120_000);

  afterAll(() => stopScoringNodes(pair.brand, pair.provider));

  it('resumes from the last committed step and ends with the same model', async () => {
    const { brand, provider } = pair;
    const modelId = await approvedModel(pair, { epochs: 4 });
    // The provider's worker dies while it sends step 2's products: the brand never answers that request.
    const held = brand.faults.arm('POST', new RegExp(`/v1/node/models/${modelId}/messages/products/2$`), 'hold');
    expect((await brand.node.call('POST', `/v1/models/${modelId}/train`)).status).toBe(202);
    await waitFor(async () => (held.hits() > 0 ? true : undefined), 'products of step 2 on their way', 90_000);
    const checkpoint = await withTenant(provider.node.t.db, provider.node.tenantId, async (trx) => (await requireModel(trx, modelId)).checkpoint as { step: number; receipt: unknown });
    expect(checkpoint).toMatchObject({ step: 2, receipt: { step: 2 } });

    await provider.restartWorker({ abandonedAfterMs: 0 });
    brand.faults.releaseHeld();
    const trained = await modelEnded(brand, modelId);
    expect(trained.error).toBeNull();
    expect(trained.progress.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);
    expect((await modelEnded(provider, modelId)).status).toBe('trained');

    const stored = {
      brand: await withTenant(brand.node.t.db, brand.node.tenantId, async (trx) => ((await requireModel(trx, modelId)).checkpoint as { weights: number[] }).weights),
      provider: await withTenant(provider.node.t.db, provider.node.tenantId, async (trx) => ((await requireModel(trx, modelId)).model as { weights: number[] }).weights),
    };
    const expected = await replay(pair, modelId);
    // The brand's residuals are encrypted afresh in the replay; CKKS noise moves the sums by far less than this.
    stored.brand.forEach((w, k) => expect(w).toBeCloseTo(expected.brand[k]!, 5));
    stored.provider.forEach((w, j) => expect(w).toBeCloseTo(expected.provider[j]!, 5));
    // Each message was received once: the inbox holds one per kind and step.
    const inbox = await withTenant(brand.node.t.db, brand.node.tenantId, (trx) => trx.selectFrom('scoring_messages').select(['kind', 'step']).where('model_id', '=', modelId).where('direction', '=', 'in').where('kind', '=', 'products').execute());
    expect(inbox.map((m) => m.step).sort()).toEqual([0, 1, 2, 3]);
  });
});
