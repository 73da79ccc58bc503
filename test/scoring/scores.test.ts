import { describe, expect, it } from 'vitest';
import { revenueScores, speedScores } from '../../core/scoring/lead-scores.ts';
import { lookalikeReport, topK } from '../../core/scoring/lookalike.ts';
import { auditProviderModel } from '../../core/scoring/model-audit.ts';
import { fitPlatt, rocAuc, sigmoid } from '../../core/scoring/model-metrics.ts';
import { defaultScoringPolicy } from '../../core/scoring/model-spec.ts';
import { ScoringError } from '../../core/scoring/scoring-errors.ts';

describe('model metrics', () => {
  it('computes AUC with ties counted half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([3, 2, 1], [1, 0, 0])).toBe(1);
  });

  it('recovers the Platt parameters that generated the labels', () => {
    const logits = Float64Array.from({ length: 20_000 }, (_, i) => ((i % 200) - 100) / 25);
    let state = 1;
    const uniform = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    const labels = logits.map((z) => Number(uniform() < sigmoid(0.5 * z - 1)));
    const { a, b } = fitPlatt(logits, labels);
    expect(a).toBeCloseTo(0.5, 1);
    expect(b).toBeCloseTo(-1, 1);
  });
});

describe('model audit', () => {
  it('refuses one dominant tag or too few weighted tags, and passes a spread model', () => {
    const policy = defaultScoringPolicy;
    const spread = auditProviderModel(Float64Array.of(0.5, -0.4, 0.35, 0.3, -0.3, 0.01, 0.02), policy);
    expect(spread).toMatchObject({ passed: true, weightedTags: 5 });
    const copied = auditProviderModel(Float64Array.of(0.05, 2, 0.1, -0.1, 0.08, 0.07), policy);
    expect(copied.passed).toBe(false);
    expect(copied.dominantTag).toBe(1);
    // Four equal tags: none dominates at 25%, but four are too few.
    const four = auditProviderModel(Float64Array.of(1, 1, -1, 1, 0.01, 0.01), policy);
    expect(four.maxTagShare).toBeLessThan(0.3);
    expect(four).toMatchObject({ passed: false, weightedTags: 4 });
    expect(auditProviderModel(new Float64Array(6), policy).passed).toBe(false);
  });
});

describe('lead scores', () => {
  it('calibrates speed into 0..1 and places revenue by percentile of the lead base', () => {
    const speed = speedScores(Float64Array.of(-2, 0, 3), Float64Array.of(0.25, 0, -0.5), { a: 1, b: 0 });
    expect(speed[1]).toBe(0.5);
    expect(speed[0]).toBeCloseTo(sigmoid(-1.75), 12);
    const base = Float64Array.of(1, 2, 2, 3, 4);
    expect(Array.from(revenueScores(Float64Array.of(0, 2, 5, 2.5), new Float64Array(4), base))).toEqual([0, 0.4, 1, 0.6]);
    expect(() => revenueScores(Float64Array.of(1), Float64Array.of(1, 2), base)).toThrow(ScoringError);
  });
});

describe('lookalike aggregates', () => {
  const population = 5000;
  const scores = Float64Array.from({ length: population }, (_, i) => Math.sin(i) * 10);
  // Held-out seed members: the 100 highest scores and 100 scattered others.
  const ranked = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const holdout = new Uint8Array(population);
  ranked.slice(0, 100).forEach((row) => (holdout[row] = 1));
  ranked.filter((_, r) => r % 47 === 5).slice(0, 100).forEach((row) => (holdout[row] = 1));

  it('reports recall and lift per size and a histogram with no bucket under 50', () => {
    const report = lookalikeReport(scores, holdout, [1000, 2500], defaultScoringPolicy);
    const members = holdout.reduce((a, b) => a + b, 0);
    const inTop1000 = ranked.slice(0, 1000).filter((row) => holdout[row] === 1).length;
    expect(report.sizes[0]).toEqual({ size: 1000, recall: inTop1000 / members, lift: inTop1000 / members / (1000 / population) });
    expect(report.sizes[0]!.lift).toBeGreaterThan(2);
    expect(report.histogram.reduce((total, bucket) => total + bucket.count, 0)).toBe(population);
    expect(report.histogram.every((bucket) => bucket.count >= 50)).toBe(true);
  });

  it('refuses segments below the policy minimum', () => {
    expect(() => topK(scores, 999, defaultScoringPolicy)).toThrow(ScoringError);
    expect(() => lookalikeReport(scores, holdout, [500], defaultScoringPolicy)).toThrow(ScoringError);
    expect(Array.from(topK(scores, 1000, defaultScoringPolicy).subarray(0, 3))).toEqual(ranked.slice(0, 3));
  });
});
