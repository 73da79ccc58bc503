/**
 * Mobile numbers to E.164 with libphonenumber-js, reading national numbers in a default region
 * (CN unless given): 13800138000, +86 138-0013-8000, 0086…, 86…, and full-width digits all give
 * +8613800138000.
 * Only mobile numbers are identifiers: a landline is shared by a household or an office, so it
 * would merge people who are not one. Where the numbering plan cannot tell mobile from fixed
 * (FIXED_LINE_OR_MOBILE, as in the US), the number is taken.
 * Spreadsheet damage is refused, never repaired: scientific notation (1.38E+10) and decimals
 * (13800138000.0) have lost or may have lost digits, and a number whose 00 international prefix
 * was dropped (85291234567) would read as a wrong national number. A dropped national trunk 0 loses
 * nothing, since E.164 has no trunk prefix.
 * The `mobile` metadata build is loaded once; the common case, a national number or one with the
 * region's own country code, is checked against the region's compiled mobile pattern from that same
 * metadata, and everything else goes through the library parser (about 40 times slower).
 */
import { getCountryCallingCode, isSupportedCountry, Metadata, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js/mobile';
import { accepted, rejected, type Normalised } from './identifier.ts';

export const DEFAULT_PHONE_REGION = 'CN';

const MAX_INPUT = 64;
const SCIENTIFIC = /^[+-]?\d+(?:\.\d+)?e[+-]?\d+$/i;
const EXCEL_DECIMAL = /^\+?\d+\.0+$/;
// Digits, one leading +, and the separators people type (spaces, dashes of every width, dots, brackets, slash).
const PHONE_SHAPE = /^\+?[0-9\s()./\-\u2010-\u2015\u2212]+$/;
const NON_DIGITS = /\D/g;
const MAINLAND_MOBILE_START = /^1[3-9]/;

interface RegionPlan {
  readonly callingCode: string;
  /** The region's mobile national-number pattern, when the library exposes it. */
  readonly mobile: RegExp | undefined;
}

const plans = new Map<string, RegionPlan>();

// Metadata#numberingPlan.type() is internal to libphonenumber-js (pinned in package.json); if a
// version drops it, every number takes the parser path, which gives the same answers more slowly.
type NumberingPlanInternals = { numberingPlan?: { type?(name: string): { pattern(): string } | undefined } };

function planOf(region: CountryCode): RegionPlan {
  let plan = plans.get(region);
  if (!plan) {
    const metadata = new Metadata();
    metadata.selectNumberingPlan(region);
    const pattern = (metadata as unknown as NumberingPlanInternals).numberingPlan?.type?.('MOBILE')?.pattern();
    plan = { callingCode: getCountryCallingCode(region), mobile: pattern ? new RegExp(`^(?:${pattern})$`) : undefined };
    plans.set(region, plan);
  }
  return plan;
}

const isMobile = (number: PhoneNumber): boolean => {
  if (!number.isValid()) return false;
  const type = number.getType();
  return type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE';
};

export function normalisePhone(input: string, region: string = DEFAULT_PHONE_REGION): Normalised {
  const country = region.toUpperCase();
  if (!isSupportedCountry(country)) return rejected('phone_region', `${JSON.stringify(region)} is not a region the phone metadata knows`);
  const text = input.normalize('NFKC').trim();
  if (text === '') return rejected('value_empty');
  if (text.length > MAX_INPUT) return rejected('value_too_long', `a phone number has at most ${MAX_INPUT} characters`);
  if (SCIENTIFIC.test(text)) return rejected('phone_excel_scientific', 'the number is in scientific notation (like 1.38E+10), so its digits are lost; export the column as text');
  if (EXCEL_DECIMAL.test(text)) return rejected('phone_excel_decimal', 'the number ends in a decimal part (like 13800138000.0); export the column as text');
  if (!PHONE_SHAPE.test(text)) return rejected('phone_malformed');

  const plus = text.startsWith('+');
  const digits = text.replace(NON_DIGITS, '');
  const plan = planOf(country);
  if (plan.mobile) {
    if (!plus && plan.mobile.test(digits)) return accepted('phone', `+${plan.callingCode}${digits}`);
    if (plus && digits.startsWith(plan.callingCode) && plan.mobile.test(digits.slice(plan.callingCode.length))) return accepted('phone', `+${digits}`);
  }

  const parsed = parsePhoneNumberFromString(plus ? `+${digits}` : digits, { defaultCountry: country });
  if (parsed && isMobile(parsed)) return accepted('phone', parsed.number);
  // In CN, 1[3-9]… is read as a mainland number even when it would also be a +1 number without its 00.
  const mainlandShaped = country === 'CN' && !plus && MAINLAND_MOBILE_START.test(digits);
  if (mainlandShaped && digits.length !== 11) return rejected('phone_invalid', `a mainland mobile number has 11 digits; this has ${digits.length}`);
  if (!plus && !mainlandShaped) {
    const international = parsePhoneNumberFromString(`+${digits}`);
    if (international && isMobile(international)) {
      return rejected('phone_lost_leading_zero', `this reads as a +${international.countryCallingCode} number whose leading 00 was dropped (spreadsheets drop leading zeros); send it with + or 00`);
    }
  }
  if (parsed?.isPossible()) return rejected('phone_not_mobile');
  return rejected('phone_invalid', `not a valid number in ${country} or in international form`);
}
