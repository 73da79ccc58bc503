import { describe, expect, it } from 'vitest';
import { parseCollectionTime } from '../../consent/local-time.ts';

describe('collection times in imports', () => {
  it('takes times with an offset as they are', () => {
    expect(parseCollectionTime('2024-07-01T12:00:00+08:00', undefined)).toEqual({ ok: true, at: new Date('2024-07-01T04:00:00Z') });
    expect(parseCollectionTime('2024-07-01 12:00:00.250Z', 'Asia/Shanghai')).toEqual({ ok: true, at: new Date('2024-07-01T12:00:00.250Z') });
    expect(parseCollectionTime('2024-07-01T12:00-0530', undefined)).toEqual({ ok: true, at: new Date('2024-07-01T17:30:00Z') });
  });

  it('refuses a local time unless the import declares its time zone', () => {
    expect(parseCollectionTime('2024-07-01 12:00', undefined)).toMatchObject({ ok: false, reason: 'time_without_offset' });
    expect(parseCollectionTime('2024-07-01 12:00', 'Asia/Shanghai')).toEqual({ ok: true, at: new Date('2024-07-01T04:00:00Z') });
    expect(parseCollectionTime('2024-03-10 03:30', 'America/New_York')).toEqual({ ok: true, at: new Date('2024-03-10T07:30:00Z') });
  });

  it('refuses wall-clock times a DST change skipped or repeated, saying why', () => {
    const gap = parseCollectionTime('2024-03-10 02:30', 'America/New_York');
    expect(gap).toEqual({ ok: false, reason: 'time_in_dst_gap', detail: '2024-03-10 02:30 does not exist in America/New_York: the clocks skipped it (daylight saving time starts)' });
    expect(parseCollectionTime('2024-11-03 01:30', 'America/New_York')).toMatchObject({ ok: false, reason: 'time_ambiguous' });
  });

  it('refuses dates that are not on the calendar and text that is not a time', () => {
    expect(parseCollectionTime('2024-02-30T10:00:00Z', undefined)).toMatchObject({ ok: false, reason: 'invalid_time' });
    expect(parseCollectionTime('yesterday', 'UTC')).toMatchObject({ ok: false, reason: 'invalid_time' });
    expect(parseCollectionTime('2024-07-01T25:00:00Z', undefined)).toMatchObject({ ok: false, reason: 'invalid_time' });
  });
});
