/**
 * May this subject be contacted on this channel (about this topic) at this instant? Consent comes
 * first and is final when it says no: preferences refine consent, they never grant it. After it, the
 * subject's own choices in a fixed order, so the reason given is stable.
 */
import { reachedCap, type CapPeriod, type SentCounts } from './frequency-caps.ts';
import type { ContactChannel, Preferences } from './preferences.ts';
import { isQuietAt } from './quiet-hours.ts';

export type ContactReason = 'allowed' | 'consent_denied' | 'channel_opted_out' | 'topic_unsubscribed' | 'quiet_hours' | 'frequency_cap';

export interface ContactDecision {
  readonly allowed: boolean;
  readonly reason: ContactReason;
  /** With reason frequency_cap: the period whose cap is reached. */
  readonly capPeriod?: CapPeriod;
}

/** Paid media is an ad shown when the person is looking anyway, not a message that wakes them up. */
const QUIET_HOURS_EXEMPT: ReadonlySet<ContactChannel> = new Set(['paid_media']);

export function decideContact(input: {
  consentAllows: boolean;
  preferences: Preferences;
  channel: ContactChannel;
  topic?: string | undefined;
  at: Date;
  sent: SentCounts;
}): ContactDecision {
  const { preferences, channel } = input;
  if (!input.consentAllows) return { allowed: false, reason: 'consent_denied' };
  if (preferences.channels[channel] === 'opt_out') return { allowed: false, reason: 'channel_opted_out' };
  if (input.topic !== undefined && preferences.topics.unsubscribed.includes(input.topic)) return { allowed: false, reason: 'topic_unsubscribed' };
  if (preferences.quietHours && !QUIET_HOURS_EXEMPT.has(channel) && isQuietAt(preferences.quietHours, input.at)) return { allowed: false, reason: 'quiet_hours' };
  const capPeriod = reachedCap(preferences.frequencyCaps[channel], input.sent);
  if (capPeriod) return { allowed: false, reason: 'frequency_cap', capPeriod };
  return { allowed: true, reason: 'allowed' };
}
