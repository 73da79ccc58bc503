/**
 * `node --import tsx bench/scoring-steps.ts --rows 100000 --features 50 [--brand-features 5]
 * [--epochs 5] [--batch 16384] [--he ckks-8192|bfv-8192] [--sigma 4] [--threads N]`
 * The pure vertical-training steps (core/scoring) between a brand and a provider in this process,
 * messages passed as bytes, each party's HE work on N threads (default: one per core; 1 keeps it on
 * the main thread), on synthetic data (test/support/two-party-scoring.ts); no database, queue
 * or network. Prints time per epoch, bytes each way, peak RSS, the AUC gap to a centralised plaintext
 * model on held-out rows, and the leak AUC of the gradient-norm attack on the provider's view with
 * and without the label-DP noise (the same steps with the brand's noise subtracted again), then one
 * JSON line, also saved as bench/results/scoring-steps-<all features>-<stamp>.json. Goals (issue 13,
 * 2-core machine), features counting both parties': 100k × 55 (--features 50), 5 epochs ≤ 30 s in
 * total; 100k × 330 (--features 325) ≤ 19 s per epoch; AUC within 0.005 of the centralised model.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { isHeParamsName } from '../crypto/he/he-params.ts';
import { loadSealBackend } from '../crypto/he/seal-backend.ts';
import { labelDpEpsilon, labelDpNoise } from '../core/scoring/label-dp.ts';
import { gradientNormLeakAuc } from '../core/scoring/label-leakage.ts';
import { brandPartialScores } from '../core/scoring/lead-scores.ts';
import { rocAuc } from '../core/scoring/model-metrics.ts';
import { defineModelSpec, parseScoringPolicy, residualForm } from '../core/scoring/model-spec.ts';
import { releasePartialScores } from '../core/scoring/partial-scores.ts';
import { BRAND_NOISE_SEED, sliceRows, syntheticData, trainPlaintext, trainTwoParty } from '../test/support/two-party-scoring.ts';
import { BenchOptionError, intOption } from './benchmark.ts';
import { environment, formatTable, num, saveResult } from './report.ts';

const TEST_SHARE = 0.2;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string' },
      features: { type: 'string' },
      'brand-features': { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      he: { type: 'string' },
      sigma: { type: 'string' },
      threads: { type: 'string' },
    },
  });
  const rows = intOption(values, 'rows', 100_000);
  const providerFeatures = intOption(values, 'features', 50);
  const brandFeatures = intOption(values, 'brand-features', 5, { min: 0 });
  const heParams = values.he ?? 'ckks-8192';
  if (!isHeParamsName(heParams)) throw new BenchOptionError(`--he: expected ckks-8192 or bfv-8192, got ${heParams}`);
  const sigma = values.sigma === undefined ? 4 : Number(values.sigma);
  if (!(sigma >= 0)) throw new BenchOptionError('--sigma: expected a number >= 0');
  const batchRows = intOption(values, 'batch', 16_384);
  const threads = intOption(values, 'threads', availableParallelism());
  const spec = defineModelSpec(
    { modelId: 'bench', task: 'logistic', heParams, rows, providerFeatures, brandFeatures, batchRows, epochs: intOption(values, 'epochs', 5), labelDpSigma: sigma },
    parseScoringPolicy({ minBatchRows: Math.min(batchRows, 16_384) }),
  );

  const loadAtStart = loadavg();
  const testRows = Math.round(rows * TEST_SHARE);
  const all = syntheticData({ rows: rows + testRows, providerFeatures, brandFeatures });
  const train = sliceRows(all, 0, rows);
  const test = sliceRows(all, rows, rows + testRows);
  const backend = await loadSealBackend();

  // CPU time beside wall time: on a shared machine the wall clock also counts other processes' turns.
  const epochCpuSeconds: number[] = [];
  const startCpu = process.cpuUsage();
  let cpuMark = startCpu;
  const started = performance.now();
  let setup = { seconds: 0, cpuSeconds: 0 };
  const run = await trainTwoParty(backend, spec, train, {
    threads,
    onReady: (ms) => {
      const cpu = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      setup = { seconds: ms / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
      console.error(`setup: ${num(setup.seconds)} s (${num(setup.cpuSeconds)} s CPU)`);
    },
    onEpoch: (epoch, ms) => {
      const cpu = process.cpuUsage(cpuMark);
      cpuMark = process.cpuUsage();
      epochCpuSeconds.push((cpu.user + cpu.system) / 1e6);
      console.error(`epoch ${epoch}: ${num(ms / 1000)} s (${num(epochCpuSeconds.at(-1)!)} s CPU)`);
    },
  });
  const totalSeconds = (performance.now() - started) / 1000;
  const totalCpu = process.cpuUsage(startCpu);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

  // Held-out AUC as the nodes would score: coarse partial scores from the provider (its audit
  // passes on this data), the brand's own part added; against the centralised exact-sigmoid model.
  const policy = parseScoringPolicy({});
  const providerPartials = releasePartialScores(run.providerModel, test.provider, policy);
  const brandPartials = brandPartialScores(run.brandModel, test.brand, testRows);
  const heAuc = rocAuc(
    brandPartials.map((u, i) => u + providerPartials[i]!),
    test.labels,
  );
  const plaintextAuc = rocAuc(trainPlaintext(spec, train, run.slots).score(test), test.labels);

  const leakStarted = performance.now();
  const noiseSd = spec.labelDpSigma * spec.clipNorm * residualForm(spec.task).labelRange;
  const withoutNoise = run.providerView.steps.map((view, step) => {
    const noise = labelDpNoise(BRAND_NOISE_SEED, spec.modelId, step, providerFeatures, noiseSd);
    return { batch: view.batch, gradientSums: view.gradientSums.map((g, j) => g - noise[j]!) };
  });
  const leakWithDp = gradientNormLeakAuc(run.providerView.columns, run.providerView.steps, train.labels);
  const leakWithoutDp = gradientNormLeakAuc(run.providerView.columns, withoutNoise, train.labels);
  const leakSeconds = (performance.now() - leakStarted) / 1000;

  const epochSeconds = run.epochMs.map((ms) => ms / 1000);
  const date = new Date();
  const figures = {
    name: 'scoring-steps',
    date: date.toISOString(),
    ...environment(),
    loadAverage: { start: loadAtStart, end: loadavg() },
    backend: backend.name,
    spec: { rows, providerFeatures, brandFeatures, batchRows: spec.batchRows, epochs: spec.epochs, heParams, labelDpSigma: sigma },
    threadsPerParty: threads,
    batches: run.providerView.steps.length / spec.epochs,
    setupSeconds: setup.seconds,
    setupCpuSeconds: setup.cpuSeconds,
    epochSeconds,
    epochCpuSeconds,
    totalSeconds,
    totalCpuSeconds: (totalCpu.user + totalCpu.system) / 1e6,
    brandToProviderMb: run.brandToProviderBytes / 1e6,
    providerToBrandMb: run.providerToBrandBytes / 1e6,
    peakRssMb,
    heAuc,
    plaintextAuc,
    aucGap: plaintextAuc - heAuc,
    epsilon: labelDpEpsilon(sigma, spec.epochs, spec.labelDpDelta),
    leakAucWithDp: leakWithDp,
    leakAucWithoutDp: leakWithoutDp,
    leakSeconds,
  };
  console.log(
    formatTable(
      ['figure', 'value'],
      [
        ['setup: sessions, workers, brand columns (s / CPU s)', `${num(setup.seconds)} / ${num(setup.cpuSeconds)}`],
        ['epochs (s each)', epochSeconds.map((s) => num(s)).join(', ')],
        ['epochs (CPU s each)', epochCpuSeconds.map((s) => num(s)).join(', ')],
        ['training total (s)', num(totalSeconds)],
        ['training total (CPU s)', num(figures.totalCpuSeconds)],
        ['brand → provider (MB)', num(figures.brandToProviderMb, 1)],
        ['provider → brand (MB)', num(figures.providerToBrandMb, 1)],
        ['peak RSS (MB)', peakRssMb],
        ['AUC HE (coarse partial scores)', num(heAuc, 4)],
        ['AUC centralised plaintext', num(plaintextAuc, 4)],
        ['AUC gap', num(figures.aucGap, 4)],
        [`ε (σ = ${sigma}, δ = ${spec.labelDpDelta})`, num(figures.epsilon, 2)],
        ['leak AUC with label DP', num(leakWithDp, 4)],
        ['leak AUC without label DP', num(leakWithoutDp, 4)],
      ],
    ),
  );
  // Saved per feature count, so the 55- and 330-tag runs each keep a latest result.
  await saveResult(`scoring-steps-${providerFeatures + brandFeatures}`, date, figures);
  console.log(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  console.error(error instanceof BenchOptionError ? error.message : error);
  process.exitCode = 1;
});
