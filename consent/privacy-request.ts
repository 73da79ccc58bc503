/**
 * A data-subject request (PIPL Art. 44-47, GDPR Art. 15-18, CCPA §1798.100-106) and the one way its
 * status moves: received → verifying → in_progress → completed, or rejected from any open status.
 * Work on the subject's data starts only after the requester's identity was verified (the method
 * and a reference are recorded; the check itself happens outside Accord). A refusal carries its
 * reason (PIPL Art. 50, GDPR Art. 12(4)).
 */
import { ConsentError } from './consent-errors.ts';

export const privacyRequestKinds = ['access', 'erasure', 'rectification', 'restriction'] as const;
export type PrivacyRequestKind = (typeof privacyRequestKinds)[number];

export const privacyRequestStatuses = ['received', 'verifying', 'in_progress', 'completed', 'rejected'] as const;
export type PrivacyRequestStatus = (typeof privacyRequestStatuses)[number];

export interface Verification {
  readonly method: string;
  readonly reference: string;
}

const next: Readonly<Record<PrivacyRequestStatus, readonly PrivacyRequestStatus[]>> = {
  received: ['verifying', 'rejected'],
  verifying: ['in_progress', 'rejected'],
  in_progress: ['completed', 'rejected'],
  completed: [],
  rejected: [],
};

export const isOpen = (status: PrivacyRequestStatus) => next[status].length > 0;

export interface TransitionInput {
  readonly to: PrivacyRequestStatus;
  readonly verification?: Verification | undefined;
  readonly reason?: string | undefined;
}

/** Throws unless `current` may move as asked; returns the verification that holds afterwards. */
export function checkTransition(current: { status: PrivacyRequestStatus; verification: Verification | null }, input: TransitionInput): Verification | null {
  if (!next[current.status].includes(input.to)) {
    throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', `a ${current.status} request cannot become ${input.to}`);
  }
  if (input.verification && current.status !== 'verifying') {
    throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', 'identity verification is recorded when leaving verifying');
  }
  const verification = input.verification ?? current.verification;
  if (input.to === 'in_progress' && !verification) {
    throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', 'record how the identity was verified (verification.method and .reference) before work starts');
  }
  if (input.to === 'rejected' && !input.reason?.trim()) {
    throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', 'a rejection states its reason');
  }
  return verification;
}

/** The request must be of `kind` and under way before its action runs. */
export function checkActionAllowed(request: { kind: PrivacyRequestKind; status: PrivacyRequestStatus }, kind: PrivacyRequestKind, statuses: readonly PrivacyRequestStatus[] = ['in_progress']): void {
  if (request.kind !== kind) throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_KIND', `the request asks for ${request.kind}, not ${kind}`);
  if (!statuses.includes(request.status)) {
    throw new ConsentError('ACCORD_ERR_PRIVACY_REQUEST_STATE', `the request is ${request.status}; ${kind} runs on a request that is ${statuses.join(' or ')}`);
  }
}
