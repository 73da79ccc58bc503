/**
 * Report money to micros (millionths of the currency unit) without floating point: platforms give
 * spend as decimal text (Meta, TikTok), 元 (Kuaishou, Ocean Engine), 分 (Tencent) or micros already
 * (Google). Digits past the sixth decimal are rounded half up.
 */
import { ActivationError } from '../../core/activation/activation-errors.ts';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export function decimalToMicros(platform: string, text: string | number): bigint {
  const match = DECIMAL.exec(String(text).trim());
  if (!match) throw new ActivationError('ACCORD_ERR_PLATFORM_REFUSED', `${platform} reported ${JSON.stringify(text)} where an amount was expected`, { platform });
  const [, sign, whole, fraction = ''] = match;
  let micros = BigInt(whole!) * 1_000_000n + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
  if ((fraction[6] ?? '0') >= '5') micros += 1n;
  return sign === '-' ? -micros : micros;
}

/** An amount in hundredths of the unit (分, cents) to micros. */
export function centsToMicros(platform: string, cents: string | number): bigint {
  return decimalToMicros(platform, cents) / 100n;
}
