/**
 * Meta customer-file keys (reference §1.3, §3.1): EMAIL and PHONE as SHA-256 lower-case hex of the
 * trimmed lower-case email (no Gmail rule) and of the phone's digits with country code and no "+";
 * MADID raw and lower-case, never hashed.
 */
import { identifierProfile } from '../common/identifier-profile.ts';
import { lowerCase, phoneWithoutPlus } from '../common/id-forms.ts';

export const metaIdentifiers = identifierProfile([
  { type: 'EMAIL', from: 'email', hash: 'sha256', encoding: 'hex' },
  { type: 'PHONE', from: 'phone', hash: 'sha256', encoding: 'hex', form: phoneWithoutPlus },
  { type: 'MADID', from: 'idfa', hash: 'none', encoding: 'hex', form: lowerCase },
]);
