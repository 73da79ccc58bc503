/**
 * How good a model is, measured by the brand on rows it holds labels for: ROC AUC (ties count half,
 * the Mann–Whitney statistic) and log-loss; and Platt calibration, which maps a raw logit z to a
 * probability σ(a·z + b). A first-order Taylor model ranks well but its raw logits are not
 * probabilities (reference §0: log-loss 0.441 raw, 0.402 after Platt).
 */

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Area under the ROC curve of `scores` against 0/1 `labels`; NaN when one class is absent. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) end++;
    // Tied scores share the mean of their ranks (1-based).
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) {
      if (labels[order[i]!] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    start = end;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean negative log-likelihood of 0/1 labels under probabilities (clamped away from 0 and 1). */
export function logLoss(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, probabilities[i]!));
    total -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / probabilities.length;
}

export interface PlattScaling {
  readonly a: number;
  readonly b: number;
}

/** (a, b) minimising the log-loss of σ(a·z + b), by Newton's method (the problem is convex). */
export function fitPlatt(logits: ArrayLike<number>, labels: ArrayLike<number>): PlattScaling {
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 50; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < logits.length; i++) {
      const z = logits[i]!;
      const p = sigmoid(a * z + b);
      const r = p - labels[i]!;
      const w = p * (1 - p);
      ga += r * z;
      gb += r;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-10) break;
  }
  return { a, b };
}
