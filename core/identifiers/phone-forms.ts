/**
 * The spellings ad platforms hash a phone number in, derived from the canonical E.164 form
 * (normalise-phone.ts) so every platform starts from one parsed, validated number:
 * - E.164 with "+" (the canonical value itself): Google, TikTok, The Trade Desk;
 * - the same digits without "+": Meta (a leading "+" gets no matches);
 * - the 11-digit mainland number without +86: Tencent, Ocean Engine, Kuaishou.
 */

const MAINLAND = /^\+86(1[3-9]\d{9})$/;

/** Country code and number, digits only: +8613800138000 → 8613800138000. */
export function phoneDigits(e164: string): string {
  return e164.slice(1);
}

/** The 11-digit mainland mobile number, or undefined for a number outside mainland China. */
export function mainlandMobile(e164: string): string | undefined {
  return MAINLAND.exec(e164)?.[1];
}
