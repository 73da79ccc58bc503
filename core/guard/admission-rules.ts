/**
 * Whether a run may start (pure): input sizes as the parties declared them, and the collaboration's
 * run and privacy budgets as the ledger tallies them. Declared sizes are what the other party's
 * checks rely on, so an input may never exceed its declaration (checkDeclaredSize, no tolerance:
 * a party knows its set's size before it declares it).
 */
import { AccordError } from '../errors.ts';
import { GuardError } from './guard-errors.ts';
import type { GuardTally } from './guard-ledger.ts';
import { epsilonMicros, type GuardPolicy } from './guard-policy.ts';

export interface DeclaredSizes {
  readonly own: number;
  readonly peer: number;
}

function checkSize(size: number, what: string): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `${what} must be a positive integer, got ${size}`);
}

export function checkDeclaredSizes(declared: DeclaredSizes, policy: GuardPolicy): void {
  checkSize(declared.own, 'declared own size');
  checkSize(declared.peer, 'declared peer size');
  for (const who of ['own', 'peer'] as const) {
    if (declared[who] > policy.maxSetSize) {
      throw new GuardError('ACCORD_ERR_GUARD_SET_TOO_LARGE', `the ${who} set is declared with ${declared[who]} entries; at most ${policy.maxSetSize} are allowed`, { who, declared: declared[who], maxSetSize: policy.maxSetSize });
    }
  }
  const ratio = Math.max(declared.own, declared.peer) / Math.min(declared.own, declared.peer);
  if (ratio > policy.maxSizeRatio) {
    throw new GuardError('ACCORD_ERR_GUARD_ASYMMETRY', `the declared sets differ by a factor of ${ratio.toFixed(1)}; at most ${policy.maxSizeRatio} is allowed`, { ...declared, maxSizeRatio: policy.maxSizeRatio });
  }
}

/** During a run: an input larger than declared is refused. */
export function checkDeclaredSize(declared: number, actual: number, who: 'own' | 'peer'): void {
  checkSize(declared, `declared ${who} size`);
  if (!Number.isSafeInteger(actual) || actual < 0) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `actual ${who} size must be a non-negative integer, got ${actual}`);
  if (actual > declared) {
    throw new GuardError('ACCORD_ERR_GUARD_SIZE_MISMATCH', `the ${who} set has ${actual} entries but ${declared} were declared`, { who, declared, actual });
  }
}

/** Lifetime budget first: waiting a day does not help with it. */
export function admissionRefusal(tally: GuardTally, policy: GuardPolicy): GuardError | null {
  if (tally.runs >= policy.runBudget) {
    return new GuardError('ACCORD_ERR_GUARD_RUN_BUDGET', `all ${policy.runBudget} runs of the collaboration are used`, { runBudget: policy.runBudget });
  }
  if (policy.noise && tally.epsilonMicrosSpent + epsilonMicros(policy.noise.epsilonPerRelease) > epsilonMicros(policy.noise.totalEpsilon)) {
    return new GuardError('ACCORD_ERR_GUARD_PRIVACY_BUDGET', 'the privacy budget left is smaller than one release needs', {
      epsilonSpent: tally.epsilonMicrosSpent / 1e6,
      totalEpsilon: policy.noise.totalEpsilon,
    });
  }
  if (tally.runsLastDay >= policy.maxRunsPerDay) {
    return new GuardError('ACCORD_ERR_GUARD_RATE_LIMITED', `${policy.maxRunsPerDay} runs were admitted in the last 24 hours`, {
      maxRunsPerDay: policy.maxRunsPerDay,
      retryAfterSeconds: tally.secondsUntilSlot,
    });
  }
  return null;
}
