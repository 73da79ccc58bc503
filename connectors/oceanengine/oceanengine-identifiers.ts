/**
 * Ocean Engine DMP id types (reference §1.8, §3.1): the 11-digit mainland phone as SHA-256
 * (MOBILE_HASH_SHA256; the 11-digit input is ❓), IMEI, IDFA and OAID as MD5, all lower-case hex.
 * Raw device ids are not offered: their hashes match as well and reveal less.
 */
import { identifierProfile } from '../common/identifier-profile.ts';
import { lowerCase, mainlandPhone, upperCase } from '../common/id-forms.ts';

export function oceanEngineIdentifiers(idfaBeforeMd5: 'upper' | 'lower') {
  return identifierProfile([
    { type: 'MOBILE_HASH_SHA256', from: 'phone', hash: 'sha256', encoding: 'hex', form: mainlandPhone },
    { type: 'IMEI_MD5', from: 'imei', hash: 'md5', encoding: 'hex' },
    { type: 'IDFA_MD5', from: 'idfa', hash: 'md5', encoding: 'hex', form: idfaBeforeMd5 === 'upper' ? upperCase : lowerCase },
    { type: 'OAID_MD5', from: 'oaid', hash: 'md5', encoding: 'hex' },
  ]);
}
