import { describe, expect, it } from 'vitest';
import { batchLayout } from '../../core/scoring/batch-layout.ts';
import { defineModelSpec, defaultScoringPolicy, parseScoringPolicy } from '../../core/scoring/model-spec.ts';
import { errorCode } from '../support/error-code.ts';

const base = { modelId: 'm', task: 'logistic', rows: 100_000, providerFeatures: 50, brandFeatures: 5 };

const codeOf = (input: unknown, policy = defaultScoringPolicy) => errorCode(() => defineModelSpec(input, policy));

describe('model spec', () => {
  it('fills the reference defaults: CKKS, batches of 16,384, 5 epochs, σ = 4, rows clipped to norm 8', () => {
    const spec = defineModelSpec(base);
    expect(spec).toMatchObject({ heParams: 'ckks-8192', batchRows: 16_384, epochs: 5, labelDpSigma: 4, clipNorm: 8, labelDpDelta: 1e-5 });
  });

  it('refuses fewer rows than parameters, batches smaller than the parameter count or the policy minimum', () => {
    const small = parseScoringPolicy({ minBatchRows: 1 });
    expect(codeOf({ ...base, rows: 50, batchRows: 10 }, small)).toBe('ACCORD_ERR_SCORING_ROWS_BELOW_FEATURES');
    // 50 provider + 5 brand features + the bias: 56 parameters.
    expect(codeOf({ ...base, batchRows: 55 }, small)).toBe('ACCORD_ERR_SCORING_BATCH_BELOW_FEATURES');
    expect(codeOf({ ...base, batchRows: 56 }, small)).toBeUndefined();
    expect(codeOf({ ...base, batchRows: 8192 })).toBe('ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM');
    expect(codeOf({ ...base, rows: 16_000 })).toBe('ACCORD_ERR_SCORING_BATCH_BELOW_MINIMUM');
  });

  it('refuses what is not a spec, naming the field', () => {
    expect(codeOf({ ...base, heParams: 'ckks-1024' })).toBe('ACCORD_ERR_SCORING_SPEC_INVALID');
    expect(codeOf({ ...base, task: 'tree' })).toBe('ACCORD_ERR_SCORING_SPEC_INVALID');
    expect(codeOf({ ...base, epochs: 0 })).toBe('ACCORD_ERR_SCORING_SPEC_INVALID');
    expect(codeOf({ ...base, extra: 1 })).toBe('ACCORD_ERR_SCORING_SPEC_INVALID');
    // CKKS releases need noise to flood their decryption error; BFV may go without.
    expect(codeOf({ ...base, labelDpSigma: 0.5 })).toBe('ACCORD_ERR_SCORING_SPEC_INVALID');
    expect(codeOf({ ...base, labelDpSigma: 0, heParams: 'bfv-8192' })).toBeUndefined();
    expect(() => defineModelSpec({ ...base, learningRate: -1 })).toThrow(/learningRate/);
  });
});

describe('batch layout', () => {
  it('cuts 100,000 rows into 6 fixed batches of whole 4,096-row chunks, each at least 16,384 rows', () => {
    const batches = batchLayout(100_000, 16_384, 4096);
    expect(batches.length).toBe(6);
    expect(batches.reduce((total, batch) => total + batch.chunks.length, 0)).toBe(25);
    expect(batches.every((batch) => batch.end - batch.start >= 16_384)).toBe(true);
    expect(batches.map((batch) => batch.start)).toEqual([0, ...batches.slice(0, -1).map((batch) => batch.end)]);
    expect(batches.at(-1)!.end).toBe(100_000);
  });

  it('uses fewer batches when whole chunks cannot give every batch its minimum', () => {
    // 40,000 rows at 20,000: two batches would need a split chunk, so one batch of all rows.
    const batches = batchLayout(40_000, 20_000, 4096);
    expect(batches.length).toBe(1);
    // Batches smaller than a chunk still take whole chunks.
    expect(batchLayout(20_000, 1000, 4096).length).toBe(5);
  });
});
