/**
 * TikTok id types (reference §1.4, §3.1): EMAIL_SHA256 of the lower-case address (no Gmail rule),
 * PHONE_SHA256 of E.164 with "+", IDFA_SHA256 and (customer files only) IDFA_MD5 of the IDFA in
 * one consistent case (Accord's canonical upper case).
 */
import { identifierProfile } from '../common/identifier-profile.ts';

export const tiktokIdentifiers = identifierProfile([
  { type: 'EMAIL_SHA256', from: 'email', hash: 'sha256', encoding: 'hex' },
  { type: 'PHONE_SHA256', from: 'phone', hash: 'sha256', encoding: 'hex' },
  { type: 'IDFA_SHA256', from: 'idfa', hash: 'sha256', encoding: 'hex' },
  { type: 'IDFA_MD5', from: 'idfa', hash: 'md5', encoding: 'hex' },
]);
