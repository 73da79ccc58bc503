/**
 * The brand's own membership number (会员号, loyalty card number). It is opaque to us: letters keep
 * their case and inner spaces stay, because a brand's systems may treat "A12" and "a12" as two
 * members. Only what copying and typing add is undone: NFKC turns full-width digits and letters
 * (１２３, typed with a Chinese IME) into ASCII, and whitespace around the value is trimmed.
 * Control and invisible format characters (a zero-width space pasted from a web page, a tab or
 * line break inside) are refused rather than stripped: two different strings must not silently
 * become one member. Member numbers are only meaningful within the programme that issued them,
 * which is why the type requires a scope (identifier-types.ts).
 */
import { accepted, rejected, type Normalised } from './identifier.ts';

export const MAX_MEMBER_ID_LENGTH = 128;

/** Control (Cc), format (Cf: zero-width, bidi marks), line and paragraph separators, unassigned and private-use code points. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cn}\p{Co}\p{Cs}]/u;

export function normaliseMemberId(input: string): Normalised {
  const text = input.normalize('NFKC').trim();
  if (text === '') return rejected('value_empty');
  if (INVISIBLE_OR_CONTROL.test(text)) return rejected('member_id_format', 'A member id may not hold control or invisible characters (tab, line break, zero-width space)');
  if ([...text].length > MAX_MEMBER_ID_LENGTH) return rejected('member_id_format', `A member id has at most ${MAX_MEMBER_ID_LENGTH} characters`);
  return accepted('member_id', text);
}
