/**
 * The Trade Desk CRM PII types (reference §1.5, §3.1): UID2-style hashes, SHA-256 in base64 (not
 * hex) of the lower-case email with Gmail's dots and "+suffix" removed, and of the phone in E.164
 * with "+" (❓). A declared SHA-256 hex is re-encoded to base64.
 */
import { gmailForm } from '../common/id-forms.ts';
import { identifierProfile } from '../common/identifier-profile.ts';
import type { TtdAssumptions } from './ttd-assumptions.ts';

export function ttdIdentifiers(assumptions: TtdAssumptions) {
  return identifierProfile([
    { type: assumptions.piiTypes.email, from: 'email', hash: 'sha256', encoding: 'base64', form: gmailForm(assumptions.gmailPlusSuffix) },
    { type: assumptions.piiTypes.phone, from: 'phone', hash: 'sha256', encoding: 'base64' },
  ]);
}
