import { describe, expect, it } from 'vitest';
import { admissionRefusal, checkArrivedInput, checkDeclaredInput, checkDeclaredSize, checkDeclaredSizes } from '../../../core/guard/admission-rules.ts';
import { GuardError } from '../../../core/guard/guard-errors.ts';
import { defaultGuardPolicy, parseGuardPolicy, strictestPolicy, type GuardPolicy } from '../../../core/guard/guard-policy.ts';

const policy: GuardPolicy = { ...defaultGuardPolicy, maxSetSize: 1_000_000, maxSizeRatio: 10, runBudget: 5, maxRunsPerDay: 2 };
const fresh = { runs: 0, runsLastDay: 0, secondsUntilSlot: null, epsilonMicrosSpent: 0 };

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof GuardError) return error.code;
    throw error;
  }
  return undefined;
}

describe('admission rules', () => {
  it('takes the minimum overlap of 100 when a party states no policy, and inputs of at least ten times it', () => {
    expect(parseGuardPolicy(undefined)).toMatchObject({ minOverlap: 100, minInputSize: 1_000, declaredSizeTolerance: 0.05 });
    expect(parseGuardPolicy({ minOverlap: 20 }).minInputSize).toBe(200);
    expect(parseGuardPolicy({ minOverlap: 20, minInputSize: 50 }).minInputSize).toBe(50);
  });

  it('applies the strictest value of every field across the parties', () => {
    const brand = parseGuardPolicy({ minOverlap: 100, minCellSize: 20, maxRunsPerDay: 5, noise: null });
    const media = parseGuardPolicy({ minOverlap: 500, minCellSize: 10, maxRunsPerDay: 10, runBudget: 50, noise: { epsilonPerRelease: 0.5, totalEpsilon: 4 } });
    expect(strictestPolicy(brand, media)).toEqual({ ...media, minCellSize: 20, maxRunsPerDay: 5 });
    expect(strictestPolicy(media, parseGuardPolicy({ noise: { epsilonPerRelease: 1, totalEpsilon: 2 } })).noise).toEqual({ epsilonPerRelease: 0.5, totalEpsilon: 2 });
  });

  it('refuses a policy whose release would spend more than its whole budget', () => {
    expect(() => parseGuardPolicy({ noise: { epsilonPerRelease: 2, totalEpsilon: 1 } })).toThrow();
  });

  it('refuses a declared set larger than the cap, either side', () => {
    expect(codeOf(() => checkDeclaredSizes({ own: 1_000_001, peer: 900_000 }, policy))).toBe('ACCORD_ERR_GUARD_SET_TOO_LARGE');
    expect(codeOf(() => checkDeclaredSizes({ own: 900_000, peer: 1_000_001 }, policy))).toBe('ACCORD_ERR_GUARD_SET_TOO_LARGE');
    expect(codeOf(() => checkDeclaredSizes({ own: 1_000_000, peer: 1_000_000 }, policy))).toBeUndefined();
  });

  it('refuses sets that differ in size more than the ratio allows (a tiny probe against a large set)', () => {
    expect(codeOf(() => checkDeclaredSizes({ own: 100_000, peer: 9_999 }, policy))).toBe('ACCORD_ERR_GUARD_ASYMMETRY');
    expect(codeOf(() => checkDeclaredSizes({ own: 10, peer: 100_000 }, policy))).toBe('ACCORD_ERR_GUARD_ASYMMETRY');
    expect(codeOf(() => checkDeclaredSizes({ own: 100_000, peer: 10_000 }, policy))).toBeUndefined();
  });

  it('refuses declared sizes that are not positive integers', () => {
    expect(() => checkDeclaredSizes({ own: 0, peer: 10 }, policy)).toThrow(/positive integer/);
    expect(() => checkDeclaredSizes({ own: 1.5, peer: 10 }, policy)).toThrow(/positive integer/);
  });

  it('refuses an input larger than declared, by even one entry', () => {
    expect(codeOf(() => checkDeclaredSize(1_000, 1_001, 'peer'))).toBe('ACCORD_ERR_GUARD_SIZE_MISMATCH');
    expect(codeOf(() => checkDeclaredSize(1_000, 50_000_000, 'peer'))).toBe('ACCORD_ERR_GUARD_SIZE_MISMATCH');
    expect(codeOf(() => checkDeclaredSize(1_000, 1_000, 'own'))).toBeUndefined();
    expect(codeOf(() => checkDeclaredSize(1_000, 998, 'own'))).toBeUndefined();
  });

  it('refuses a whole input that repeats an element, holds fewer than the minimum, or falls short of its declaration beyond the tolerance', () => {
    const rules = { minInputSize: 100, declaredSizeTolerance: 0.05 };
    expect(codeOf(() => checkArrivedInput(1_000, 1_000, 1_000, rules, 'the email set'))).toBeUndefined();
    expect(codeOf(() => checkArrivedInput(1_000, 950, 950, rules, 'the email set'))).toBeUndefined();
    expect(codeOf(() => checkArrivedInput(1_000, 949, 949, rules, 'the email set'))).toBe('ACCORD_ERR_GUARD_SIZE_MISMATCH');
    // Declared 10,000, sent one: refused on what arrived.
    expect(codeOf(() => checkArrivedInput(10_000, 1, 1, rules, 'the email set'))).toBe('ACCORD_ERR_GUARD_INPUT_TOO_SMALL');
    expect(codeOf(() => checkArrivedInput(99, 99, 99, rules, 'the email set'))).toBe('ACCORD_ERR_GUARD_INPUT_TOO_SMALL');
    expect(codeOf(() => checkArrivedInput(1_000, 1_001, 1_001, rules, 'the email set'))).toBe('ACCORD_ERR_GUARD_SIZE_MISMATCH');
    expect(codeOf(() => checkArrivedInput(1_000, 1_000, 999, rules, 'the email set'))).toBe('ACCORD_ERR_GUARD_DUPLICATE_INPUT');
    expect(codeOf(() => checkArrivedInput(1_000, 1_000, 1_000, { ...rules, declaredSizeTolerance: 0 }, 'the email set'))).toBeUndefined();
    expect(codeOf(() => checkArrivedInput(1_000, 999, 999, { ...rules, declaredSizeTolerance: 0 }, 'the email set'))).toBe('ACCORD_ERR_GUARD_SIZE_MISMATCH');
  });

  it('refuses a declaration the minimum input could never accept', () => {
    expect(codeOf(() => checkDeclaredInput(99, { minInputSize: 100 }, 'the email set'))).toBe('ACCORD_ERR_GUARD_INPUT_TOO_SMALL');
    expect(codeOf(() => checkDeclaredInput(0, { minInputSize: 1 }, 'the email set'))).toBe('ACCORD_ERR_GUARD_INPUT_TOO_SMALL');
    expect(codeOf(() => checkDeclaredInput(100, { minInputSize: 100 }, 'the email set'))).toBeUndefined();
  });

  it('refuses a run past the lifetime budget before looking at the daily limit', () => {
    expect(admissionRefusal({ ...fresh, runs: 5, runsLastDay: 2 }, policy)?.code).toBe('ACCORD_ERR_GUARD_RUN_BUDGET');
    expect(admissionRefusal({ ...fresh, runs: 4, runsLastDay: 2, secondsUntilSlot: 60 }, policy)).toMatchObject({ code: 'ACCORD_ERR_GUARD_RATE_LIMITED', extensions: { retryAfterSeconds: 60 } });
    expect(admissionRefusal({ ...fresh, runs: 4, runsLastDay: 1 }, policy)).toBeNull();
  });

  it('refuses a run when the privacy budget left cannot pay for its release', () => {
    const noisy = { ...policy, noise: { epsilonPerRelease: 0.1, totalEpsilon: 0.3 } };
    expect(admissionRefusal({ ...fresh, epsilonMicrosSpent: 200_000 }, noisy)).toBeNull();
    expect(admissionRefusal({ ...fresh, epsilonMicrosSpent: 200_001 }, noisy)?.code).toBe('ACCORD_ERR_GUARD_PRIVACY_BUDGET');
  });
});
