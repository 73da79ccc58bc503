/**
 * Kuaishou population `type` values (reference §1.9, §3.1): the 11-digit mainland phone as MD5
 * (type 5) or SHA-256 (type 9; the 11-digit input is ❓), IMEI, IDFA, OAID as MD5 (3, 4, 8),
 * lower-case hex. `KUAISHOU_TYPE_CODES` maps the names to the numbers on the wire.
 */
import { identifierProfile } from '../common/identifier-profile.ts';
import { lowerCase, mainlandPhone, upperCase } from '../common/id-forms.ts';

export const KUAISHOU_TYPE_CODES: Readonly<Record<string, number>> = { IMEI_MD5: 3, IDFA_MD5: 4, PHONE_MD5: 5, OAID_MD5: 8, PHONE_SHA256: 9 };

export function kuaishouIdentifiers(idfaBeforeMd5: 'upper' | 'lower') {
  return identifierProfile([
    { type: 'PHONE_MD5', from: 'phone', hash: 'md5', encoding: 'hex', form: mainlandPhone },
    { type: 'PHONE_SHA256', from: 'phone', hash: 'sha256', encoding: 'hex', form: mainlandPhone },
    { type: 'IMEI_MD5', from: 'imei', hash: 'md5', encoding: 'hex' },
    { type: 'IDFA_MD5', from: 'idfa', hash: 'md5', encoding: 'hex', form: idfaBeforeMd5 === 'upper' ? upperCase : lowerCase },
    { type: 'OAID_MD5', from: 'oaid', hash: 'md5', encoding: 'hex' },
  ]);
}
