/**
 * Label differential privacy for the sums the brand returns to the provider (reference §4.2). Each
 * sum Σ_i d_i·x_ij changes by x_ij when one label changes (d_i moves by 1 for a 0/1 label, by the
 * label range for a real one), and the provider clips rows to ‖x_i‖ ≤ C, so the vector of sums has
 * L2 sensitivity C·range: the Gaussian mechanism with noise σ·C·range per sum. Batches are disjoint,
 * so each row is in one release per epoch, and ε composes over epochs by Rényi DP.
 * Noise for a step comes from a keystream keyed by the brand's sealed seed, the model and the step:
 * a retried step gets the same noise, so the provider cannot average draws away. The caller must
 * still answer one products message per step (a second, different one would get the same noise).
 * Known weakness: Gaussian samples are doubles (Box–Muller), not a discrete Gaussian; releases are
 * snapped to a 2^-20 grid, far coarser than the samples' own resolution, to blunt the low-bit leaks
 * Mironov showed for floating-point noise.
 */
import { keystream } from '../../crypto/keystream.ts';

/** Released sums are multiples of this (reference §6.4). */
export const RELEASE_GRID = 2 ** -20;

/** `count` independent N(0, sd²) draws for one step. */
export function labelDpNoise(seed: Uint8Array, modelId: string, step: number, count: number, sd: number): Float64Array {
  const noise = new Float64Array(count);
  if (sd === 0) return noise;
  const stream = keystream(seed, `label-dp ${JSON.stringify([modelId, step])}`);
  for (let i = 0; i < count; i++) {
    const radius = Math.sqrt(-2 * Math.log(1 - stream.unit()));
    noise[i] = sd * radius * Math.cos(2 * Math.PI * stream.unit());
  }
  return noise;
}

export const snapToReleaseGrid = (value: number) => Math.round(value / RELEASE_GRID) * RELEASE_GRID;

/**
 * ε of `epochs` releases of the Gaussian mechanism with noise multiplier σ, at δ: the RDP bound
 * min over α > 1 of epochs·α/(2σ²) + ln(1/δ)/(α − 1), which is a + 2·√(a·ln(1/δ)) with a = epochs/(2σ²).
 * σ = 4 over 5 epochs at δ = 1e-5 gives 2.84 (reference §4.2: 2.8). Infinity without noise.
 */
export function labelDpEpsilon(sigma: number, epochs: number, delta: number): number {
  if (sigma === 0) return Number.POSITIVE_INFINITY;
  const a = epochs / (2 * sigma * sigma);
  return a + 2 * Math.sqrt(a * Math.log(1 / delta));
}
