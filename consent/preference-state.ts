/**
 * Folds preference changes into the current state, one field at a time: each field (a channel's
 * choice, a channel's cap, a topic, quiet hours, language) keeps the value of the change collected
 * last, so an older change that arrives late never overwrites a newer one, and it still sets the
 * fields nothing newer has touched. A replace sets every field, clearing those it leaves out; its
 * `floor` remembers that, so older changes cannot bring cleared fields back. Ties on collection time
 * go to the change recorded later. The result is the same in whatever order changes arrive.
 */
import { MAX_TOPICS, contactChannels, type ChannelChoice, type PreferencePatch, type Preferences, type TopicChoice } from './preferences.ts';
import { ConsentError } from './consent-errors.ts';
import type { FrequencyCap } from './frequency-caps.ts';
import type { QuietHours } from './quiet-hours.ts';

export interface ChangeVersion {
  /** collectedAt, epoch milliseconds. */
  readonly at: number;
  /** The change's sequence number in the preference history. */
  readonly seq: number;
}

interface Field extends ChangeVersion {
  /** null: cleared by a change (kept so an older change cannot set it again). */
  readonly value: unknown;
}

export interface PreferenceState {
  readonly floor: ChangeVersion | null;
  readonly fields: Readonly<Record<string, Field>>;
}

export const emptyPreferenceState: PreferenceState = { floor: null, fields: {} };

const newer = (a: ChangeVersion, b: ChangeVersion | null | undefined) => !b || a.at > b.at || (a.at === b.at && a.seq > b.seq);

/** The fields a (validated) patch sets, keyed `channel:email`, `cap:sms`, `topic:news`, `quietHours`, `language`. */
function fieldsOf(patch: PreferencePatch): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [channel, choice] of Object.entries(patch.channels ?? {})) fields.set(`channel:${channel}`, choice ?? null);
  for (const [channel, cap] of Object.entries(patch.frequencyCaps ?? {})) fields.set(`cap:${channel}`, cap ?? null);
  for (const topic of patch.topics?.subscribed ?? []) fields.set(`topic:${topic}`, 'subscribed');
  for (const topic of patch.topics?.unsubscribed ?? []) fields.set(`topic:${topic}`, 'unsubscribed');
  if (patch.quietHours !== undefined) fields.set('quietHours', patch.quietHours);
  if (patch.language !== undefined) fields.set('language', patch.language);
  return fields;
}

export function applyPreferenceChange(state: PreferenceState, change: { mode: 'replace' | 'merge'; patch: PreferencePatch; version: ChangeVersion }): PreferenceState {
  const { version } = change;
  if (!newer(version, state.floor)) return state;
  let fields = { ...state.fields };
  let floor = state.floor;
  if (change.mode === 'replace') {
    floor = version;
    fields = Object.fromEntries(Object.entries(fields).filter(([, field]) => newer(field, version)));
  }
  for (const [key, value] of fieldsOf(change.patch)) {
    if (newer(version, fields[key])) fields[key] = { value, at: version.at, seq: version.seq };
  }
  const topics = Object.keys(fields).filter((key) => key.startsWith('topic:') && fields[key]!.value !== null).length;
  if (topics > MAX_TOPICS) throw new ConsentError('ACCORD_ERR_PREFERENCE_TOPICS', `a subject has at most ${MAX_TOPICS} topics; unsubscribe or replace instead`);
  return { floor, fields };
}

/** The preferences the state stands for; an empty state gives the defaults. */
export function effectivePreferences(state: PreferenceState): Preferences {
  const value = (key: string) => state.fields[key]?.value ?? null;
  const topics: Record<TopicChoice, string[]> = { subscribed: [], unsubscribed: [] };
  for (const key of Object.keys(state.fields).sort()) {
    const choice = value(key) as TopicChoice | null;
    if (key.startsWith('topic:') && choice) topics[choice].push(key.slice('topic:'.length));
  }
  return {
    channels: Object.fromEntries(contactChannels.map((channel) => [channel, (value(`channel:${channel}`) as ChannelChoice | null) ?? 'unset'])) as Preferences['channels'],
    quietHours: value('quietHours') as QuietHours | null,
    frequencyCaps: Object.fromEntries(contactChannels.filter((channel) => value(`cap:${channel}`)).map((channel) => [channel, value(`cap:${channel}`) as FrequencyCap])),
    topics,
    language: value('language') as string | null,
  };
}
