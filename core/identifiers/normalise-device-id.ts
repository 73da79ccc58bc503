/**
 * Device and advertising ids. All-zero ids are what the OS returns when the user limited ad
 * tracking (IDFA, OAID) or the app lacked permission (IMEI): they name no one and would merge
 * everyone who opted out, so they are refused.
 * An IDFA is taken only with its hyphens: 32 bare hex digits are also what an MD5 looks like, and a
 * hash is never guessed (declare idfa_md5 if that is what it is).
 */
import { accepted, rejected, type Normalised } from './identifier.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALL_ZERO = /^[0-]+$/;
// MSA OAIDs: UUIDs (Huawei, Samsung, Honor), 16 hex digits (Xiaomi) or 64 hex digits (OPPO, vivo, others).
const OAID_HEX = /^(?:[0-9a-f]{16}|[0-9a-f]{64})$/i;
const IMEI_SEPARATORS = /[\s\-/]/g;
const IMEI = /^\d{14,15}$/;
const ANDROID_ID = /^[0-9a-f]{16}$/i;
// Android 2.2 devices from several makers all returned this one id.
const SHARED_ANDROID_IDS = new Set(['9774d56d682e549c', '0000000000000000']);

export function normaliseIdfa(input: string): Normalised {
  const text = input.normalize('NFKC').trim();
  if (!UUID.test(text)) return rejected('idfa_format');
  if (ALL_ZERO.test(text)) return rejected('idfa_limit_ad_tracking');
  return accepted('idfa', text.toUpperCase());
}

export function normaliseOaid(input: string): Normalised {
  const text = input.normalize('NFKC').trim();
  if (!UUID.test(text) && !OAID_HEX.test(text)) return rejected('oaid_format');
  if (ALL_ZERO.test(text)) return rejected('oaid_all_zero');
  return accepted('oaid', text.toLowerCase());
}

/** Luhn check digit of the digits given (the IMEI body, 14 digits). */
export function luhnCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** 15 digits with a valid check digit; 14 digits get theirs appended, so both spellings are one identifier. */
export function normaliseImei(input: string): Normalised {
  const digits = input.normalize('NFKC').trim().replace(IMEI_SEPARATORS, '');
  if (!IMEI.test(digits)) return rejected('imei_format');
  if (ALL_ZERO.test(digits)) return rejected('imei_all_zero');
  const body = digits.slice(0, 14);
  const check = luhnCheckDigit(body);
  if (digits.length === 15 && digits.charCodeAt(14) - 48 !== check) return rejected('imei_luhn');
  return accepted('imei', `${body}${check}`);
}

export function normaliseAndroidId(input: string): Normalised {
  const text = input.normalize('NFKC').trim().toLowerCase();
  if (!ANDROID_ID.test(text)) return rejected('android_id_format');
  if (SHARED_ANDROID_IDS.has(text)) return rejected('android_id_shared');
  return accepted('android_id', text);
}
