/**
 * Discrete Laplace noise for counts: P(k) ∝ exp(−ε·|k|) over the integers, the integer analogue of
 * Laplace(1/ε), ε-differentially private for counts of sensitivity 1.
 *
 * Why not Laplace on floats: textbook samplers (−b·ln(U) with a sign) leave gaps and a
 * value-dependent pattern in the low bits of doubles, and rounding afterwards does not fully hide
 * it (Mironov, "On significance of the least significant bits for differential privacy", CCS 2012).
 * This is the exact sampler of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential
 * Privacy" (NeurIPS 2020), Algorithms 1 and 2: only integer comparisons on uniform integers, with ε
 * a rational n/d, so the output distribution is exactly the one stated, whatever the float format.
 * Uniform integers come from node:crypto (a CSPRNG); tests may inject their own.
 * Known limit: running time depends on the sample (a rejection loop), a timing channel accepted here.
 */
import { randomInt } from 'node:crypto';

/** A uniform integer in [0, maxExclusive). */
export type UniformInt = (maxExclusive: number) => number;

const cryptoUniform: UniformInt = (maxExclusive) => randomInt(maxExclusive);

/** randomInt's range limit (2^48). */
const MAX_RANGE = 2 ** 48;

/** Bernoulli(exp(−num/den)) for 0 ≤ num ≤ den (CKS20 Algorithm 1, γ ≤ 1). */
function bernoulliExpMinus(num: number, den: number, uniform: UniformInt): boolean {
  let k = 1;
  // Draw Bernoulli(γ/k) until one fails; the count of successes decides by parity.
  while (uniform(den * k) < num) k += 1;
  return k % 2 === 1;
}

/**
 * One sample of the discrete Laplace with parameter ε = epsilonNum / epsilonDen (scale 1/ε),
 * by CKS20 Algorithm 2 with t = epsilonDen and s = epsilonNum.
 */
export function sampleDiscreteLaplace(epsilonNum: number, epsilonDen: number, uniform: UniformInt = cryptoUniform): number {
  if (!Number.isSafeInteger(epsilonNum) || !Number.isSafeInteger(epsilonDen) || epsilonNum < 1 || epsilonDen < 1 || epsilonDen >= MAX_RANGE / 64) {
    throw new RangeError(`epsilon must be a ratio of positive integers with a denominator below 2^42, got ${epsilonNum}/${epsilonDen}`);
  }
  for (;;) {
    const u = uniform(epsilonDen);
    if (!bernoulliExpMinus(u, epsilonDen, uniform)) continue;
    let v = 0;
    while (bernoulliExpMinus(1, 1, uniform)) v += 1;
    // x = u + t·v is geometric with P(x) ∝ exp(−x/t); dividing by s gives exp(−y·s/t) = exp(−ε·y).
    const y = Math.floor((u + epsilonDen * v) / epsilonNum);
    const negative = uniform(2) === 1;
    // Zero would otherwise be drawn twice (as +0 and −0).
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}
