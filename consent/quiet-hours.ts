/**
 * Quiet hours: a daily window of local wall-clock time, in the subject's IANA time zone, during which
 * nobody is contacted. The instant is converted to local time with Intl, so daylight-saving switches
 * are the time-zone database's business, not ours; a window may cross midnight (22:00–08:00).
 */
import { wallClockOf } from './wall-clock.ts';
import { ConsentError } from './consent-errors.ts';

export interface QuietHours {
  /** IANA name, e.g. Asia/Shanghai. */
  readonly timeZone: string;
  /** Local time HH:MM (00:00–23:59) the window opens. */
  readonly start: string;
  /** Local time HH:MM the window closes (exclusive). */
  readonly end: string;
}

const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
// Rules out offsets ("+08:00") and abbreviations Intl might accept; IANA names are Area/Location or UTC-like words.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

const minutesOf = (time: string): number | undefined => {
  const match = LOCAL_TIME.exec(time);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
};

/** The canonical IANA name, or undefined when the runtime's time-zone database does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  if (!IANA_NAME.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function validateQuietHours(quietHours: QuietHours): QuietHours {
  const timeZone = canonicalTimeZone(quietHours.timeZone);
  if (!timeZone) throw new ConsentError('ACCORD_ERR_PREFERENCE_TIME_ZONE', `${JSON.stringify(quietHours.timeZone)} is not an IANA time zone`);
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  if (start === undefined || end === undefined) {
    throw new ConsentError('ACCORD_ERR_PREFERENCE_QUIET_HOURS', 'quiet hours start and end are local times HH:MM between 00:00 and 23:59');
  }
  if (start === end) throw new ConsentError('ACCORD_ERR_PREFERENCE_QUIET_HOURS', 'quiet hours start and end are the same time; opt the channels out instead');
  return { timeZone, start: quietHours.start, end: quietHours.end };
}

/** Minutes since local midnight of `at` in `timeZone`. */
function localMinutes(at: Date, timeZone: string): number {
  const wall = new Date(wallClockOf(at.getTime(), timeZone));
  return wall.getUTCHours() * 60 + wall.getUTCMinutes();
}

/** Whether `at` falls inside the window; start inclusive, end exclusive. */
export function isQuietAt(quietHours: QuietHours, at: Date): boolean {
  const now = localMinutes(at, quietHours.timeZone);
  const start = minutesOf(quietHours.start)!;
  const end = minutesOf(quietHours.end)!;
  return start < end ? now >= start && now < end : now >= start || now < end;
}
