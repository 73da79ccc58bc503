/**
 * How far what a guard releases tells two inputs apart: the guard's own release rule
 * (core/guard/release-rules.ts) sampled many times for two exact counts, with a seeded uniform
 * source so the samples (and the test) are the same on every run, and the largest ratio between
 * the two output distributions over the outputs both see often enough to estimate. ε-differential
 * privacy says that ratio is at most e^ε for every output.
 */
import type { UniformInt } from '../../core/guard/discrete-laplace.ts';
import type { GuardPolicy } from '../../core/guard/guard-policy.ts';
import { decideRelease, type RunCounts } from '../../core/guard/release-rules.ts';

/** Uniform integers from a seeded 32-bit generator (mulberry32): reproducible and fast, unbiased by rejection. */
export function seededUniform(seed: number): UniformInt {
  let state = seed >>> 0;
  const word = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (maxExclusive) => {
    if (maxExclusive > 2 ** 32) throw new RangeError('the test generator draws below 2^32');
    const limit = Math.floor(2 ** 32 / maxExclusive) * maxExclusive;
    for (;;) {
      const value = word();
      if (value < limit) return value % maxExclusive;
    }
  };
}

/** How often each output (a released total, or "withheld") came out of `samples` releases of `counts`. */
export function releaseHistogram(counts: RunCounts, policy: GuardPolicy, epsilonMicros: number | null, seed: number, samples: number): Map<string, number> {
  const uniform = seededUniform(seed);
  const histogram = new Map<string, number>();
  for (let i = 0; i < samples; i++) {
    const outcome = decideRelease(counts, policy, epsilonMicros, uniform);
    const key = outcome.released ? String(outcome.total) : 'withheld';
    histogram.set(key, (histogram.get(key) ?? 0) + 1);
  }
  return histogram;
}

/**
 * The largest ratio of the two histograms' frequencies, over the outputs both saw at least
 * `minSamples` times (so the estimate is within a few percent); Infinity when an output seen that
 * often in one never occurs in the other: it tells them apart.
 */
export function largestRatio(a: Map<string, number>, b: Map<string, number>, minSamples: number): number {
  let largest = 1;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key) ?? 0;
    const y = b.get(key) ?? 0;
    if (Math.max(x, y) >= minSamples && Math.min(x, y) === 0) return Infinity;
    if (Math.min(x, y) >= minSamples) largest = Math.max(largest, x / y, y / x);
  }
  return largest;
}
