/**
 * Amazon hashed PII (reference §1.6, §3.1, 🟡): SHA-256 hex of the lower-case email keeping only
 * [a-z0-9.@-], and of the phone's digits only.
 */
import { identifierProfile } from '../common/identifier-profile.ts';
import { phoneWithoutPlus } from '../common/id-forms.ts';

export const amazonIdentifiers = identifierProfile([
  { type: 'email', from: 'email', hash: 'sha256', encoding: 'hex', form: { spell: (email) => email.replace(/[^a-z0-9.@-]/g, '') } },
  { type: 'phone', from: 'phone', hash: 'sha256', encoding: 'hex', form: phoneWithoutPlus },
]);
