/** When a client says something happened: clocks of collection points drift, but not into the future. */
import { ConsentError } from './consent-errors.ts';

/** Beyond this skew a client time in the future is refused. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export function checkClientTime(what: string, at: Date, receivedAt: Date): void {
  if (Number.isNaN(at.getTime())) throw new ConsentError('ACCORD_ERR_CONSENT_COLLECTED_AT', `${what} is not a time`);
  if (at.getTime() > receivedAt.getTime() + MAX_CLOCK_SKEW_MS) throw new ConsentError('ACCORD_ERR_CONSENT_COLLECTED_AT', `${what} is in the future`);
}
