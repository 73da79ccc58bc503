/**
 * Collection times from imported files. A time with a UTC offset (`Z`, `+08:00`, `+0800`) is exact.
 * A local time without one means something only in a time zone the import declares, and even then
 * not always: a wall-clock time skipped by a DST change (`2024-03-10 02:30` in America/New_York)
 * never happened, and one repeated by it (`2024-11-03 01:30` there) happened twice. Both are
 * refused rather than guessed (reference/consent.md, failure mode 11).
 */
import { wallClockOf } from './wall-clock.ts';

export type LocalTimeResult =
  | { ok: true; at: Date }
  | { ok: false; reason: 'invalid_time' | 'time_without_offset' | 'time_in_dst_gap' | 'time_ambiguous'; detail: string };

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(?:\s*(Z|[+-]\d{2}:?\d{2}))?$/i;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Parses `text`; a time without an offset is read in `timeZone` (an IANA name), if one is given. */
export function parseCollectionTime(text: string, timeZone: string | undefined): LocalTimeResult {
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return { ok: false, reason: 'invalid_time', detail: `${JSON.stringify(text)} is not a date and time like 2024-03-10T14:30:00+08:00` };
  const [, y, mo, d, h, mi, s = '0', ms = '0', offset] = match;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0')));
  const back = new Date(wall);
  if (back.getUTCMonth() !== Number(mo) - 1 || back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h) || Number(mi) > 59 || Number(s) > 59) {
    return { ok: false, reason: 'invalid_time', detail: `${JSON.stringify(text)} is not a calendar date and time` };
  }
  if (offset) {
    if (offset.toUpperCase() === 'Z') return { ok: true, at: new Date(wall) };
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
    if (minutes > 18 * 60) return { ok: false, reason: 'invalid_time', detail: `${offset} is not a UTC offset` };
    return { ok: true, at: new Date(wall - sign * minutes * 60_000) };
  }
  if (timeZone === undefined) {
    return { ok: false, reason: 'time_without_offset', detail: `${JSON.stringify(text)} has no UTC offset; add one (e.g. +08:00) or declare the import's time zone` };
  }
  // Every instant whose wall clock in the zone reads `wall`: try the offsets in force around it.
  const candidates = new Set<number>();
  for (const probe of [wall - DAY_MS, wall, wall + DAY_MS]) {
    const candidate = wall - (wallClockOf(probe, timeZone) - probe);
    if (wallClockOf(candidate, timeZone) === wall) candidates.add(candidate);
  }
  if (candidates.size === 0) {
    return { ok: false, reason: 'time_in_dst_gap', detail: `${text.trim()} does not exist in ${timeZone}: the clocks skipped it (daylight saving time starts)` };
  }
  if (candidates.size > 1) {
    const hours = Math.abs([...candidates].reduce((a, b) => a - b)) / HOUR_MS;
    return { ok: false, reason: 'time_ambiguous', detail: `${text.trim()} happened twice in ${timeZone} (clocks went back ${hours} h); add a UTC offset` };
  }
  return { ok: true, at: new Date([...candidates][0]!) };
}
