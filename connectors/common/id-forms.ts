/**
 * How a platform spells a canonical identifier before hashing it. The canonical forms come from
 * core/identifiers (email lower-case, phone E.164, IDFA upper-case, OAID lower-case); a form
 * derives the platform's spelling from them, or gives a refusal when the platform cannot take it.
 */
import type { ProfileRefusalReason } from '../../core/activation/identifier-profile.ts';
import { gmailAddress } from '../../core/identifiers/gmail-address.ts';
import { mainlandMobile, phoneDigits } from '../../core/identifiers/phone-forms.ts';

export interface IdForm {
  spell(canonical: string): string | undefined;
  /** Why spell gave nothing. */
  readonly refusal?: ProfileRefusalReason;
}

export const asIs: IdForm = { spell: (canonical) => canonical };
export const upperCase: IdForm = { spell: (canonical) => canonical.toUpperCase() };
export const lowerCase: IdForm = { spell: (canonical) => canonical.toLowerCase() };
/** Meta: country code and number, no "+". */
export const phoneWithoutPlus: IdForm = { spell: phoneDigits };
/** Tencent, Ocean Engine, Kuaishou: the 11-digit mainland number. */
export const mainlandPhone: IdForm = { spell: mainlandMobile, refusal: 'phone_not_mainland' };

export function gmailForm(plusSuffix: boolean): IdForm {
  return { spell: (canonical) => gmailAddress(canonical, { plusSuffix }) };
}
