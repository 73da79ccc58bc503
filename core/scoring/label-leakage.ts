/**
 * Measures label leakage to the provider: the leak AUC of the gradient-norm attack of Li et al.,
 * "Label Leakage and Protection in Two-party Split Learning" (ICLR 2022), run on what the provider
 * actually sees. There each party sees per-example gradients g_i = d_i·x_i and scores example i by
 * ‖g_i‖ (positives, the rarer class, have larger residuals). Here the provider sees only a noisy
 * sum G = Σ_i d_i·x_i per batch, so it first reconstructs the residuals by least squares, d̂ =
 * X(XᵀX)⁻¹G (exact when a batch has no more rows than features, the case the spec refuses; the
 * minimum-norm solution via XXᵀ then), scores ‖ĝ_i‖ = |d̂_i|·‖x_i‖ averaged over the steps a row is
 * in, and the leak AUC is the AUC of that score against the labels, flipped to ≥ 0.5 (0.5: nothing
 * learnt, 1: every label). For evaluation and benchmarks; it needs the labels the provider lacks.
 */
import type { RowRange } from './batch-layout.ts';
import { rocAuc } from './model-metrics.ts';

export interface ProviderStepView {
  readonly batch: RowRange;
  /** The unmasked gradient sums the provider got for this step (label-DP noise included). */
  readonly gradientSums: Float64Array;
}

export function gradientNormLeakAuc(columns: readonly Float64Array[], steps: readonly ProviderStepView[], labels: Float64Array): number {
  const rows = labels.length;
  const score = new Float64Array(rows);
  const seen = new Uint32Array(rows);
  const solvers = new Map<string, (g: Float64Array) => Float64Array>();
  for (const { batch, gradientSums } of steps) {
    const key = `${batch.start}:${batch.end}`;
    if (!solvers.has(key)) solvers.set(key, residualSolver(columns, batch));
    const residuals = solvers.get(key)!(gradientSums);
    for (let i = batch.start; i < batch.end; i++) {
      let norm = 0;
      for (const column of columns) norm += column[i]! ** 2;
      score[i]! += Math.abs(residuals[i - batch.start]!) * Math.sqrt(norm);
      seen[i]!++;
    }
  }
  const kept = Array.from({ length: rows }, (_, i) => i).filter((i) => seen[i]! > 0);
  const auc = rocAuc(
    kept.map((i) => score[i]! / seen[i]!),
    kept.map((i) => labels[i]!),
  );
  return Math.max(auc, 1 - auc);
}

/** G ↦ d̂ for one batch, factoring the smaller Gram matrix once. */
function residualSolver(columns: readonly Float64Array[], batch: RowRange): (g: Float64Array) => Float64Array {
  const rows = batch.end - batch.start;
  const features = columns.length;
  const x = (i: number, j: number) => columns[j]![batch.start + i]!;
  if (rows > features) {
    // d̂ = X β with (XᵀX) β = G.
    const gram = symmetric(features, (a, b) => {
      let sum = 0;
      const ca = columns[a]!;
      const cb = columns[b]!;
      for (let i = batch.start; i < batch.end; i++) sum += ca[i]! * cb[i]!;
      return sum;
    });
    const solve = cholesky(gram, features);
    return (g) => {
      const beta = solve(g);
      return Float64Array.from({ length: rows }, (_, i) => {
        let sum = 0;
        for (let j = 0; j < features; j++) sum += x(i, j) * beta[j]!;
        return sum;
      });
    };
  }
  // d̂ = (XXᵀ)⁻¹ X G: the residual vector of least norm with Xᵀd̂ = G.
  const gram = symmetric(rows, (a, b) => {
    let sum = 0;
    for (let j = 0; j < features; j++) sum += x(a, j) * x(b, j);
    return sum;
  });
  const solve = cholesky(gram, rows);
  return (g) =>
    solve(
      Float64Array.from({ length: rows }, (_, i) => {
        let sum = 0;
        for (let j = 0; j < features; j++) sum += x(i, j) * g[j]!;
        return sum;
      }),
    );
}

function symmetric(n: number, entry: (a: number, b: number) => number): Float64Array {
  const m = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let b = 0; b <= a; b++) m[a * n + b] = m[b * n + a] = entry(a, b);
  return m;
}

/** Solver for m·v = r by Cholesky, with a ridge of 1e-9 of the mean diagonal against rank deficiency. */
function cholesky(m: Float64Array, n: number): (r: Float64Array) => Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += m[i * n + i]!;
  const ridge = (1e-9 * trace) / n || 1e-12;
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * n + j]! + (i === j ? ridge : 0);
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(Math.max(sum, ridge)) : sum / l[j * n + j]!;
    }
  }
  return (r) => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = r[i]!;
      for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
      y[i] = sum / l[i * n + i]!;
    }
    const v = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let sum = y[i]!;
      for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * v[k]!;
      v[i] = sum / l[i * n + i]!;
    }
    return v;
  };
}
