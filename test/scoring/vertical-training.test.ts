import { beforeAll, describe, expect, it } from 'vitest';
import type { HeBackend } from '../../crypto/he/he-backend.ts';
import type { HeParamsName } from '../../crypto/he/he-params.ts';
import { loadSealBackend } from '../../crypto/he/seal-backend.ts';
import { brandPartialScores, revenueScores, speedScores } from '../../core/scoring/lead-scores.ts';
import { lookalikeReport, lookalikeScores, topK } from '../../core/scoring/lookalike.ts';
import { fitPlatt, logLoss, rocAuc, sigmoid } from '../../core/scoring/model-metrics.ts';
import { defineModelSpec, parseScoringPolicy } from '../../core/scoring/model-spec.ts';
import { releasePartialScores } from '../../core/scoring/partial-scores.ts';
import { sliceRows, syntheticData, trainPlaintext, trainTwoParty } from '../support/two-party-scoring.ts';

// Small batches keep these runs short; the policy floor is lowered to match (the default is 16,384).
const policy = parseScoringPolicy({ minBatchRows: 4096 });

let backend: HeBackend;
beforeAll(async () => {
  backend = await loadSealBackend();
});

describe('vertical logistic regression through the HE steps', () => {
  it('scores held-out rows within 0.005 AUC of a centralised plaintext model, with label DP σ = 4', async () => {
    const all = syntheticData({ rows: 25_000, providerFeatures: 20, brandFeatures: 5 });
    const train = sliceRows(all, 0, 20_000);
    const validation = sliceRows(all, 20_000, 22_500);
    const test = sliceRows(all, 22_500, 25_000);
    const spec = defineModelSpec({ modelId: 'speed', task: 'logistic', rows: 20_000, providerFeatures: 20, brandFeatures: 5, batchRows: 4096, epochs: 4 }, policy);
    expect(spec.labelDpSigma).toBe(4);
    const run = await trainTwoParty(backend, spec, train);

    // Scoring as the nodes will: the provider releases coarse partial scores, the brand adds its own.
    const logits = (rows: typeof test) => {
      const providerPartials = releasePartialScores(run.providerModel, rows.provider, policy);
      expect(providerPartials.every((u) => Number.isInteger(u / policy.partialScoreQuantum))).toBe(true);
      return { brand: brandPartialScores(run.brandModel, rows.brand), provider: providerPartials };
    };
    const held = logits(test);
    const heAuc = rocAuc(
      held.brand.map((u, i) => u + held.provider[i]!),
      test.labels,
    );
    const plaintextAuc = rocAuc(trainPlaintext(spec, train, run.slots).score(test), test.labels);
    expect(heAuc).toBeGreaterThan(0.8);
    expect(Math.abs(heAuc - plaintextAuc)).toBeLessThan(0.005);

    // Platt calibration on a validation split turns Taylor logits into probabilities.
    const fit = logits(validation);
    const platt = fitPlatt(
      fit.brand.map((u, i) => u + fit.provider[i]!),
      validation.labels,
    );
    const calibrated = speedScores(held.brand, held.provider, platt);
    const raw = held.brand.map((u, i) => sigmoid(u + held.provider[i]!));
    expect(calibrated.every((p) => p > 0 && p < 1)).toBe(true);
    expect(logLoss(calibrated, test.labels)).toBeLessThan(logLoss(raw, test.labels));
  });

  for (const heParams of ['ckks-8192', 'bfv-8192'] as HeParamsName[]) {
    it(`takes the same steps, label noise included, as first-order training in plaintext under ${heParams}`, async () => {
      const data = syntheticData({ rows: 16_384, providerFeatures: 6, brandFeatures: 2, seed: heParams });
      const spec = defineModelSpec({ modelId: `taylor-${heParams}`, task: 'logistic', heParams, rows: 16_384, providerFeatures: 6, brandFeatures: 2, batchRows: 8192, epochs: 1 }, policy);
      const run = await trainTwoParty(backend, spec, data);
      // The provider's exact (not coarsened) partial scores: this compares training, not release.
      const brand = brandPartialScores(run.brandModel, data.brand);
      const heLogits = lookalikeScores(run.providerModel, data.provider).map((u, i) => u + brand[i]!);
      const plain = trainPlaintext(spec, data, run.slots, { protocol: true }).score(data);
      let worst = 0;
      heLogits.forEach((z, i) => (worst = Math.max(worst, Math.abs(z - plain[i]!))));
      // CKKS is exact to about 1e-9 per step here; BFV rounds to 2^-16 and 2^-12 fixed point.
      expect(worst).toBeLessThan(heParams === 'ckks-8192' ? 1e-6 : 1e-3);
    });
  }
});

describe('revenue, lead and lookalike scores', () => {
  it('trains a linear revenue model exactly (no Taylor step) and maps predictions to percentiles of the lead base', async () => {
    const all = syntheticData({ rows: 10_192, providerFeatures: 8, brandFeatures: 2, task: 'linear', seed: 'revenue' });
    const train = sliceRows(all, 0, 8192);
    const leads = sliceRows(all, 8192, 10_192);
    const spec = defineModelSpec({ modelId: 'revenue', task: 'linear', rows: 8192, providerFeatures: 8, brandFeatures: 2, batchRows: 4096, epochs: 3 }, policy);
    const run = await trainTwoParty(backend, spec, train);
    const brandPartials = brandPartialScores(run.brandModel, leads.brand);
    // The linear residual needs no approximation: the HE model is the plaintext one, noise and all.
    const replayed = trainPlaintext(spec, train, run.slots, { protocol: true }).score(leads);
    const exact = lookalikeScores(run.providerModel, leads.provider);
    brandPartials.forEach((u, i) => expect(Math.abs(u + exact[i]! - replayed[i]!)).toBeLessThan(1e-6));
    const providerPartials = releasePartialScores(run.providerModel, leads.provider, policy);
    const predictions = brandPartials.map((u, i) => u + providerPartials[i]!);
    // At these tiny batches label noise of σ·C·6 per sum costs about 0.015 correlation (measured).
    const centralised = trainPlaintext(spec, train, run.slots).score(leads);
    expect(correlation(predictions, leads.labels)).toBeGreaterThan(correlation(centralised, leads.labels) - 0.03);
    const revenue = revenueScores(brandPartials, providerPartials, predictions);
    expect(revenue.every((r) => r >= 0 && r <= 1)).toBe(true);
    // Percentiles keep the order of the predictions.
    const order = Array.from(predictions.keys()).sort((a, b) => predictions[a]! - predictions[b]!);
    for (let r = 1; r < order.length; r++) expect(revenue[order[r]!]!).toBeGreaterThanOrEqual(revenue[order[r - 1]!]!);
    expect(revenue[order.at(-1)!]).toBeGreaterThan(0.99);
  });

  it('trains a provider-only lookalike model and reports lift on held-out seed members, aggregates only', async () => {
    const population = syntheticData({ rows: 12_000, providerFeatures: 10, brandFeatures: 0, seed: 'lookalike' });
    const train = sliceRows(population, 0, 8192);
    const spec = defineModelSpec({ modelId: 'lookalike', task: 'logistic', rows: 8192, providerFeatures: 10, brandFeatures: 0, batchRows: 4096, epochs: 3 }, policy);
    const run = await trainTwoParty(backend, spec, train);
    expect(run.brandModel.weights.length).toBe(1);
    // Scored in plaintext at the provider over rows not trained on; their positives play the held-out seed.
    const rest = sliceRows(population, 8192, 12_000);
    const scores = lookalikeScores(run.providerModel, rest.provider);
    const holdout = Uint8Array.from(rest.labels);
    const report = lookalikeReport(scores, holdout, [1000, 2000], policy);
    expect(report.population).toBe(3808);
    expect(report.sizes[0]!.lift).toBeGreaterThan(1.8);
    expect(report.sizes[1]!.recall).toBeGreaterThan(report.sizes[0]!.recall);
    expect(report.histogram.reduce((total, bucket) => total + bucket.count, 0)).toBe(3808);
    expect(report.histogram.every((bucket) => bucket.count >= policy.minHistogramBucket)).toBe(true);
    const segment = topK(scores, 1000, policy);
    expect(segment.length).toBe(1000);
    expect(scores[segment[0]!]).toBe(Math.max(...scores));
  });
});

function correlation(a: Float64Array, b: Float64Array): number {
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i]! - mb);
    aa += (x - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}
