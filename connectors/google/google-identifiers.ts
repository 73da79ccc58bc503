/**
 * Data Manager user identifiers (reference §1.1, §3.1): emailAddress as SHA-256 hex of the
 * lower-case address with Gmail's dots and "+suffix" removed (gmail.com and googlemail.com only),
 * phoneNumber as SHA-256 hex of E.164 with "+".
 */
import { gmailForm } from '../common/id-forms.ts';
import { identifierProfile } from '../common/identifier-profile.ts';

export function googleIdentifiers(gmailPlusSuffix: boolean) {
  return identifierProfile([
    { type: 'emailAddress', from: 'email', hash: 'sha256', encoding: 'hex', form: gmailForm(gmailPlusSuffix) },
    { type: 'phoneNumber', from: 'phone', hash: 'sha256', encoding: 'hex' },
  ]);
}
