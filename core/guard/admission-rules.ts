/**
 * Whether a run may start and go on (pure): input sizes as the parties declared them, then as they
 * arrive, and the collaboration's run and privacy budgets as the ledger tallies them. Declared sizes
 * are what the other party's checks rely on, so an input may never exceed its declaration
 * (checkDeclaredSize, no tolerance: a party knows its set's size before it declares it), and a
 * complete input must hold at least the policy's minimum and nearly what was declared
 * (checkArrivedInput): a client that declares 10,000 and sends one element is refused before any
 * comparison. Padding with random elements passes these checks; that is why counts carry noise.
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

/** A declared size the policy could never accept once the set arrives. */
export function checkDeclaredInput(declared: number, policy: Pick<GuardPolicy, 'minInputSize'>, what: string): void {
  if (!Number.isSafeInteger(declared) || declared < policy.minInputSize) {
    throw new GuardError('ACCORD_ERR_GUARD_INPUT_TOO_SMALL', `${what} is declared with ${declared} entries; at least ${policy.minInputSize} are needed`, { declared, minInputSize: policy.minInputSize });
  }
}

/**
 * Once an input set has arrived whole: `distinct` of its `arrived` elements differ, and no element
 * may repeat (a repeated element would count one match several times); it holds at least the
 * minimum, and no less than its declared size minus the tolerance.
 */
export function checkArrivedInput(declared: number, arrived: number, distinct: number, policy: Pick<GuardPolicy, 'minInputSize' | 'declaredSizeTolerance'>, what: string): void {
  checkSize(declared, `declared size of ${what}`);
  if (distinct !== arrived) throw new GuardError('ACCORD_ERR_GUARD_DUPLICATE_INPUT', `${what} repeats ${arrived - distinct} of its ${arrived} elements`, { arrived, distinct });
  checkDeclaredSize(declared, arrived, 'peer');
  if (arrived < policy.minInputSize) {
    throw new GuardError('ACCORD_ERR_GUARD_INPUT_TOO_SMALL', `${what} has ${arrived} entries; at least ${policy.minInputSize} are needed`, { arrived, minInputSize: policy.minInputSize });
  }
  const floor = Math.ceil(declared * (1 - policy.declaredSizeTolerance));
  if (arrived < floor) {
    throw new GuardError('ACCORD_ERR_GUARD_SIZE_MISMATCH', `${what} has ${arrived} entries but ${declared} were declared (at least ${floor} must arrive)`, { declared, arrived, tolerance: policy.declaredSizeTolerance });
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
