/**
 * W3C DPV consent status terms (DPV 2.3 consent_status) for the ledger's event kinds: the vocabulary
 * receipts and histories are exported in. Only ConsentGiven is valid for processing.
 */
import type { EventKind } from './consent-event.ts';

export const DPV = 'https://w3id.org/dpv#';

export type DpvConsentStatus = 'ConsentGiven' | 'ConsentRefused' | 'ConsentWithdrawn' | 'ConsentExpired' | 'ConsentInvalidated';

const statusByKind: Record<EventKind, DpvConsentStatus> = {
  given: 'ConsentGiven',
  // A guardian's grant is consent given for the minor (PIPL Art. 31); the receipt names the guardian.
  guardian_given: 'ConsentGiven',
  refused: 'ConsentRefused',
  withdrawn: 'ConsentWithdrawn',
  expired: 'ConsentExpired',
  invalidated: 'ConsentInvalidated',
};

/** The DPV IRI, e.g. https://w3id.org/dpv#ConsentWithdrawn. */
export function dpvConsentStatus(kind: EventKind): string {
  return `${DPV}${statusByKind[kind]}`;
}
