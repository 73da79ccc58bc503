/** Wall-clock time in an IANA time zone, from the time-zone database (so daylight saving is right). */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local date and time of `instant` in `timeZone`, as milliseconds of a UTC date with the same fields. */
export function wallClockOf(instant: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  return Date.UTC(part.year!, part.month! - 1, part.day!, part.hour!, part.minute!, part.second!) + (instant % 1000 + 1000) % 1000;
}
