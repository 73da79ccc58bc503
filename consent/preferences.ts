/**
 * A subject's contact preferences: which channels they accept, quiet hours, frequency caps, topics
 * and language. Preferences only ever narrow what consent allows; they never stand in for consent.
 * This file holds the shapes and the validation of a change; preference-state.ts folds changes.
 */
import { ConsentError } from './consent-errors.ts';
import { validateFrequencyCap, type FrequencyCap } from './frequency-caps.ts';
import { validateQuietHours, type QuietHours } from './quiet-hours.ts';

/** Values are only ever added. */
export const contactChannels = ['email', 'sms', 'wechat', 'app_push', 'phone', 'paid_media'] as const;
export type ContactChannel = (typeof contactChannels)[number];

export type ChannelChoice = 'opt_in' | 'opt_out';
export type TopicChoice = 'subscribed' | 'unsubscribed';

export interface Preferences {
  /** Every channel, 'unset' where the subject has not chosen (then consent alone decides). */
  readonly channels: Record<ContactChannel, ChannelChoice | 'unset'>;
  readonly quietHours: QuietHours | null;
  readonly frequencyCaps: Partial<Record<ContactChannel, FrequencyCap>>;
  readonly topics: { readonly subscribed: string[]; readonly unsubscribed: string[] };
  /** BCP 47 tag, canonical form. */
  readonly language: string | null;
}

/** What one change sets. Absent fields are untouched by a merge and cleared by a replace; null clears. */
export interface PreferencePatch {
  channels?: Partial<Record<string, ChannelChoice | null>>;
  quietHours?: QuietHours | null;
  frequencyCaps?: Partial<Record<string, FrequencyCap | null>>;
  topics?: { subscribed?: string[]; unsubscribed?: string[] };
  language?: string | null;
}

export const MAX_TOPICS = 100;
const TOPIC = /^[a-z0-9][a-z0-9_.-]{0,99}$/;

export const isContactChannel = (value: string): value is ContactChannel => (contactChannels as readonly string[]).includes(value);

export function checkContactChannel(channel: string): ContactChannel {
  if (!isContactChannel(channel)) throw new ConsentError('ACCORD_ERR_PREFERENCE_CHANNEL', `unknown channel ${JSON.stringify(channel)}; channels are ${contactChannels.join(', ')}`);
  return channel;
}

export function canonicalLanguage(tag: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (canonical) return canonical;
  } catch {
    // fall through to the error below
  }
  throw new ConsentError('ACCORD_ERR_PREFERENCE_LANGUAGE', `${JSON.stringify(tag)} is not a BCP 47 language tag`);
}

function checkTopics(topics: NonNullable<PreferencePatch['topics']>): { subscribed: string[]; unsubscribed: string[] } {
  const subscribed = [...new Set(topics.subscribed ?? [])].sort();
  const unsubscribed = [...new Set(topics.unsubscribed ?? [])].sort();
  if (subscribed.length + unsubscribed.length > MAX_TOPICS) throw new ConsentError('ACCORD_ERR_PREFERENCE_TOPICS', `at most ${MAX_TOPICS} topics`);
  for (const topic of [...subscribed, ...unsubscribed]) {
    if (!TOPIC.test(topic)) throw new ConsentError('ACCORD_ERR_PREFERENCE_TOPICS', `topic ${JSON.stringify(topic)} is not lower-case letters, digits, '.', '_' or '-' (at most 100)`);
  }
  const both = subscribed.find((topic) => unsubscribed.includes(topic));
  if (both) throw new ConsentError('ACCORD_ERR_PREFERENCE_TOPICS', `topic ${both} is both subscribed and unsubscribed`);
  return { subscribed, unsubscribed };
}

/** The change in canonical form (canonical time zone and language, sorted topics), or a preference error. */
export function validatePreferencePatch(patch: PreferencePatch): PreferencePatch {
  const valid: PreferencePatch = {};
  if (patch.channels !== undefined) {
    valid.channels = Object.fromEntries(Object.entries(patch.channels).map(([channel, choice]) => {
      if (choice !== null && choice !== 'opt_in' && choice !== 'opt_out') throw new ConsentError('ACCORD_ERR_PREFERENCE_CHANNEL', `channel ${channel} takes opt_in, opt_out or null`);
      return [checkContactChannel(channel), choice];
    }));
  }
  if (patch.quietHours !== undefined) valid.quietHours = patch.quietHours === null ? null : validateQuietHours(patch.quietHours);
  if (patch.frequencyCaps !== undefined) {
    valid.frequencyCaps = Object.fromEntries(Object.entries(patch.frequencyCaps).map(([channel, cap]) => [checkContactChannel(channel), cap === null || cap === undefined ? null : validateFrequencyCap(channel, cap)]));
  }
  if (patch.topics !== undefined) valid.topics = checkTopics(patch.topics);
  if (patch.language !== undefined) valid.language = patch.language === null ? null : canonicalLanguage(patch.language);
  return valid;
}
