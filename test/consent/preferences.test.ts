import { describe, expect, it } from 'vitest';
import { decideContact } from '../../consent/contact-decision.ts';
import { ConsentError } from '../../consent/consent-errors.ts';
import { reachedCap } from '../../consent/frequency-caps.ts';
import { applyPreferenceChange, effectivePreferences, emptyPreferenceState, type PreferenceState } from '../../consent/preference-state.ts';
import { validatePreferencePatch, type PreferencePatch } from '../../consent/preferences.ts';
import { isQuietAt, validateQuietHours } from '../../consent/quiet-hours.ts';

const codeOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    if (error instanceof ConsentError) return error.code;
    throw error;
  }
  return 'no error';
};
const quiet = (timeZone: string, start: string, end: string, at: string) => isQuietAt(validateQuietHours({ timeZone, start, end }), new Date(at));

describe('quiet hours', () => {
  it('follows New York across the March daylight-saving switch (a fixed offset would not)', () => {
    // 21:00–08:00 local. On 9 March 12:30Z is 07:30 EST; on 10 March, after the switch, it is 08:30 EDT.
    expect(quiet('America/New_York', '21:00', '08:00', '2024-03-09T12:30:00Z')).toBe(true);
    expect(quiet('America/New_York', '21:00', '08:00', '2024-03-10T12:30:00Z')).toBe(false);
    expect(quiet('America/New_York', '21:00', '08:00', '2024-03-10T11:30:00Z')).toBe(true);
    expect(quiet('America/New_York', '21:00', '08:00', '2024-03-10T02:30:00Z')).toBe(true); // 21:30 EST on 9 March
    expect(quiet('America/New_York', '21:00', '08:00', '2024-03-10T01:30:00Z')).toBe(false); // 20:30 EST on 9 March
  });

  it('treats a window in the skipped hour as empty that night and a repeated hour as quiet both times', () => {
    // 10 March 2024 in New York jumps from 01:59 EST to 03:00 EDT: 02:15–02:45 never happens.
    expect(quiet('America/New_York', '02:15', '02:45', '2024-03-10T06:59:00Z')).toBe(false);
    expect(quiet('America/New_York', '02:15', '02:45', '2024-03-10T07:00:00Z')).toBe(false);
    expect(quiet('America/New_York', '02:15', '02:45', '2024-03-11T06:30:00Z')).toBe(true);
    // 3 November 2024: 01:30 happens twice (EDT, then EST); both are inside 01:00–02:00.
    expect(quiet('America/New_York', '01:00', '02:00', '2024-11-03T05:30:00Z')).toBe(true);
    expect(quiet('America/New_York', '01:00', '02:00', '2024-11-03T06:30:00Z')).toBe(true);
  });

  it('works in Asia/Shanghai across midnight and within a day, end exclusive', () => {
    expect(quiet('Asia/Shanghai', '22:00', '07:00', '2024-06-01T15:00:00Z')).toBe(true); // 23:00
    expect(quiet('Asia/Shanghai', '22:00', '07:00', '2024-06-01T22:59:00Z')).toBe(true); // 06:59
    expect(quiet('Asia/Shanghai', '22:00', '07:00', '2024-06-01T23:00:00Z')).toBe(false); // 07:00
    expect(quiet('Asia/Shanghai', '22:00', '07:00', '2024-06-01T13:59:00Z')).toBe(false); // 21:59
    expect(quiet('Asia/Shanghai', '12:00', '14:00', '2024-06-01T05:00:00Z')).toBe(true); // 13:00
    expect(quiet('Asia/Shanghai', '12:00', '14:00', '2024-06-01T06:00:00Z')).toBe(false); // 14:00
  });

  it('refuses unknown time zones, offsets and impossible local times, and canonicalises names', () => {
    expect(validateQuietHours({ timeZone: 'asia/shanghai', start: '22:00', end: '07:00' }).timeZone).toBe('Asia/Shanghai');
    expect(codeOf(() => validateQuietHours({ timeZone: 'Mars/Olympus_Mons', start: '22:00', end: '07:00' }))).toBe('ACCORD_ERR_PREFERENCE_TIME_ZONE');
    expect(codeOf(() => validateQuietHours({ timeZone: '+08:00', start: '22:00', end: '07:00' }))).toBe('ACCORD_ERR_PREFERENCE_TIME_ZONE');
    expect(codeOf(() => validateQuietHours({ timeZone: 'Asia/Shanghai', start: '25:00', end: '07:00' }))).toBe('ACCORD_ERR_PREFERENCE_QUIET_HOURS');
    expect(codeOf(() => validateQuietHours({ timeZone: 'Asia/Shanghai', start: '7:00', end: '09:00' }))).toBe('ACCORD_ERR_PREFERENCE_QUIET_HOURS');
    expect(codeOf(() => validateQuietHours({ timeZone: 'Asia/Shanghai', start: '08:00', end: '08:00' }))).toBe('ACCORD_ERR_PREFERENCE_QUIET_HOURS');
  });
});

describe('preference validation', () => {
  it('names the problem with a code', () => {
    expect(codeOf(() => validatePreferencePatch({ channels: { fax: 'opt_in' } }))).toBe('ACCORD_ERR_PREFERENCE_CHANNEL');
    expect(codeOf(() => validatePreferencePatch({ frequencyCaps: { sms: { day: 0 } } }))).toBe('ACCORD_ERR_PREFERENCE_CAP');
    expect(codeOf(() => validatePreferencePatch({ frequencyCaps: { sms: { week: -2 } } }))).toBe('ACCORD_ERR_PREFERENCE_CAP');
    expect(codeOf(() => validatePreferencePatch({ frequencyCaps: { sms: { day: 1.5 } } }))).toBe('ACCORD_ERR_PREFERENCE_CAP');
    expect(codeOf(() => validatePreferencePatch({ frequencyCaps: { sms: { year: 3 } as never } }))).toBe('ACCORD_ERR_PREFERENCE_CAP');
    expect(codeOf(() => validatePreferencePatch({ frequencyCaps: { sms: {} } }))).toBe('ACCORD_ERR_PREFERENCE_CAP');
    expect(codeOf(() => validatePreferencePatch({ topics: { subscribed: Array.from({ length: 101 }, (_, i) => `t${i}`) } }))).toBe('ACCORD_ERR_PREFERENCE_TOPICS');
    expect(codeOf(() => validatePreferencePatch({ topics: { subscribed: ['Bad Topic'] } }))).toBe('ACCORD_ERR_PREFERENCE_TOPICS');
    expect(codeOf(() => validatePreferencePatch({ topics: { subscribed: ['news'], unsubscribed: ['news'] } }))).toBe('ACCORD_ERR_PREFERENCE_TOPICS');
    expect(codeOf(() => validatePreferencePatch({ language: 'not a tag!' }))).toBe('ACCORD_ERR_PREFERENCE_LANGUAGE');
  });

  it('canonicalises what it accepts', () => {
    expect(validatePreferencePatch({ language: 'zh-cn', topics: { subscribed: ['offers', 'news', 'news'] }, frequencyCaps: { sms: { week: 3, day: 1 } } })).toEqual({
      language: 'zh-CN',
      topics: { subscribed: ['news', 'offers'], unsubscribed: [] },
      frequencyCaps: { sms: { day: 1, week: 3 } },
    });
  });
});

describe('preference state', () => {
  const fold = (changes: Array<{ mode: 'replace' | 'merge'; patch: PreferencePatch; at: number; seq: number }>, from: PreferenceState = emptyPreferenceState) =>
    changes.reduce((state, c) => applyPreferenceChange(state, { mode: c.mode, patch: validatePreferencePatch(c.patch), version: { at: c.at, seq: c.seq } }), from);

  it('keeps a newer choice when an older change arrives late, and still applies its untouched fields', () => {
    const state = fold([
      { mode: 'merge', patch: { channels: { sms: 'opt_out' } }, at: 2_000, seq: 1 },
      { mode: 'merge', patch: { channels: { sms: 'opt_in', email: 'opt_in' } }, at: 1_000, seq: 2 }, // collected earlier, arrived later
    ]);
    expect(effectivePreferences(state).channels).toMatchObject({ sms: 'opt_out', email: 'opt_in', wechat: 'unset' });
  });

  it('lets a replace clear what it leaves out, and older changes cannot bring it back', () => {
    const state = fold([
      { mode: 'merge', patch: { topics: { subscribed: ['news'] }, language: 'en' }, at: 1_000, seq: 1 },
      { mode: 'replace', patch: { channels: { email: 'opt_out' } }, at: 3_000, seq: 2 },
      { mode: 'merge', patch: { topics: { subscribed: ['offers'] }, quietHours: { timeZone: 'UTC', start: '22:00', end: '06:00' } }, at: 2_000, seq: 3 },
      { mode: 'merge', patch: { language: 'fr' }, at: 4_000, seq: 4 },
    ]);
    const preferences = effectivePreferences(state);
    expect(preferences).toMatchObject({ topics: { subscribed: [], unsubscribed: [] }, quietHours: null, language: 'fr' });
    expect(preferences.channels.email).toBe('opt_out');
  });

  it('ends in the same preferences whatever order changes arrive in', () => {
    const changes = [
      { mode: 'merge' as const, patch: { channels: { sms: 'opt_in' as const }, topics: { subscribed: ['news'] } }, at: 1_000, seq: 1 },
      { mode: 'replace' as const, patch: { channels: { sms: 'opt_out' as const }, frequencyCaps: { email: { day: 2 } } }, at: 2_000, seq: 2 },
      { mode: 'merge' as const, patch: { topics: { unsubscribed: ['news'] }, frequencyCaps: { email: null } }, at: 3_000, seq: 3 },
      { mode: 'merge' as const, patch: { channels: { sms: 'opt_in' as const } }, at: 2_000, seq: 4 }, // same instant as the replace, recorded later
    ];
    const permutations = (items: typeof changes): Array<typeof changes> =>
      items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
    const results = permutations(changes).map((order) => effectivePreferences(fold(order)));
    expect(results[0]).toMatchObject({ channels: { sms: 'opt_in' }, topics: { subscribed: [], unsubscribed: ['news'] }, frequencyCaps: {} });
    for (const result of results) expect(result).toEqual(results[0]);
  });

  it('refuses to grow past the topic limit through many merges', () => {
    const many = (from: number) => Array.from({ length: 60 }, (_, i) => `t${from + i}`);
    expect(() => fold([
      { mode: 'merge', patch: { topics: { subscribed: many(0) } }, at: 1, seq: 1 },
      { mode: 'merge', patch: { topics: { subscribed: many(100) } }, at: 2, seq: 2 },
    ])).toThrow(expect.objectContaining({ code: 'ACCORD_ERR_PREFERENCE_TOPICS' }));
  });
});

describe('contact decision', () => {
  const preferences = effectivePreferences(applyPreferenceChange(emptyPreferenceState, {
    mode: 'replace',
    patch: validatePreferencePatch({
      channels: { sms: 'opt_in', email: 'opt_out' },
      quietHours: { timeZone: 'Asia/Shanghai', start: '22:00', end: '08:00' },
      frequencyCaps: { sms: { day: 2, week: 5 } },
      topics: { unsubscribed: ['offers'] },
    }),
    version: { at: 0, seq: 1 },
  }));
  const noon = new Date('2024-06-01T04:00:00Z'); // 12:00 in Shanghai
  const midnight = new Date('2024-06-01T16:00:00Z');
  const none = { day: 0, week: 0, month: 0 };
  const decide = (overrides: Partial<Parameters<typeof decideContact>[0]>) => decideContact({ consentAllows: true, preferences, channel: 'sms', at: noon, sent: none, ...overrides });

  it('never allows what consent denies, whatever the preferences say', () => {
    expect(decide({})).toEqual({ allowed: true, reason: 'allowed' });
    expect(decide({ consentAllows: false })).toEqual({ allowed: false, reason: 'consent_denied' });
  });

  it('gives the first reason in a fixed order', () => {
    expect(decide({ channel: 'email' }).reason).toBe('channel_opted_out');
    expect(decide({ topic: 'offers' }).reason).toBe('topic_unsubscribed');
    expect(decide({ topic: 'news' }).reason).toBe('allowed');
    expect(decide({ at: midnight }).reason).toBe('quiet_hours');
    expect(decide({ channel: 'paid_media', at: midnight }).reason).toBe('allowed');
    expect(decide({ sent: { day: 2, week: 2, month: 2 } })).toEqual({ allowed: false, reason: 'frequency_cap', capPeriod: 'day' });
    expect(decide({ sent: { day: 1, week: 5, month: 9 } })).toEqual({ allowed: false, reason: 'frequency_cap', capPeriod: 'week' });
    expect(decide({ sent: { day: 1, week: 4, month: 40 } }).reason).toBe('allowed');
    expect(reachedCap(undefined, { day: 99, week: 99, month: 99 })).toBeUndefined();
  });
});
