/**
 * Tencent user_id_type values (reference §1.7, §3.1): the 11-digit mainland phone under MD5 or
 * SHA-256; IMEI lower-case and IDFA upper-case before MD5; OAID as its canonical value (Accord
 * keeps OAIDs lower-case; Tencent hashes the raw value, so an OAID a device reported in upper case
 * will not match); MD5_SHA256_* is SHA-256 of the lower-case MD5 hex, and a declared MD5 can be
 * turned into it. Raw device ids are not offered: their hashes match as well and reveal less.
 */
import { identifierProfile } from '../common/identifier-profile.ts';
import { lowerCase, mainlandPhone, upperCase } from '../common/id-forms.ts';

export const tencentIdentifiers = identifierProfile([
  { type: 'HASH_MOBILE_PHONE', from: 'phone', hash: 'md5', encoding: 'hex', form: mainlandPhone },
  { type: 'SHA256_MOBILE_PHONE', from: 'phone', hash: 'sha256', encoding: 'hex', form: mainlandPhone },
  { type: 'HASH_IMEI', from: 'imei', hash: 'md5', encoding: 'hex', form: lowerCase },
  { type: 'MD5_SHA256_IMEI', from: 'imei', hash: 'md5_sha256', encoding: 'hex', form: lowerCase },
  { type: 'HASH_IDFA', from: 'idfa', hash: 'md5', encoding: 'hex', form: upperCase },
  { type: 'MD5_SHA256_IDFA', from: 'idfa', hash: 'md5_sha256', encoding: 'hex', form: upperCase },
  { type: 'HASH_OAID', from: 'oaid', hash: 'md5', encoding: 'hex' },
  { type: 'MD5_SHA256_OAID', from: 'oaid', hash: 'md5_sha256', encoding: 'hex' },
]);
