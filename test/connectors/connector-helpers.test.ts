import { describe, expect, it } from 'vitest';
import { fitName } from '../../connectors/common/audience-name.ts';
import { parseJson, toJson } from '../../connectors/common/lossless-json.ts';
import { centsToMicros, decimalToMicros } from '../../connectors/common/money.ts';
import { retryAfterMs } from '../../connectors/common/retry-after.ts';
import { RateBudget } from '../../connectors/contract-kit/rate-budget.ts';

describe('connector helpers', () => {
  it('turns decimal and cent amounts into micros exactly', () => {
    expect(decimalToMicros('p', '12.34')).toBe(12_340_000n);
    expect(decimalToMicros('p', '0.0000005')).toBe(1n);
    expect(decimalToMicros('p', '-1.5')).toBe(-1_500_000n);
    expect(centsToMicros('p', 1234)).toBe(12_340_000n);
    expect(() => decimalToMicros('p', '1e3')).toThrow(expect.objectContaining({ code: 'ACCORD_ERR_PLATFORM_REFUSED' }));
  });

  it('keeps ids past 2^53 exact both ways', () => {
    expect(parseJson('{"id":9007199254740993,"n":12}')).toEqual({ id: '9007199254740993', n: 12 });
    expect(toJson({ id: 9007199254740993n })).toBe('{"id":9007199254740993}');
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:30 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(30_000);
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('cuts names between characters to a byte limit', () => {
    expect(fitName('会员复购人群-2026春季大促-高价值', { utf8Bytes: 32 })).toBe('会员复购人群-2026春季大');
    expect(fitName('abc', { chars: 2 })).toBe('ab');
  });

  it('spends a call budget per window and says how long until it reopens', () => {
    let now = 0;
    const budget = new RateBudget(() => now);
    budget.limit(2, 60);
    expect([budget.take(), budget.take(), budget.take()]).toEqual([undefined, undefined, 60]);
    now = 45_000;
    expect(budget.take()).toBe(15);
    now = 60_000;
    expect(budget.take()).toBeUndefined();
  });
});
