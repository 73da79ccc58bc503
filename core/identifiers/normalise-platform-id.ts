/**
 * User ids issued by a platform: WeChat openid and unionid, Tmall/Taobao, JD and Douyin buyer ids.
 * They are opaque and case-sensitive, so only NFKC and trimming apply. Each is unique only within
 * its issuer (an openid per app, a unionid per open-platform account, buyer ids per shop or app
 * key), which is why these types require a scope; the scope is checked by normaliseIdentifier.
 */
import { accepted, rejected, type Normalised } from './identifier.ts';
import type { BaseType } from './identifier-types.ts';

export type PlatformIdType = Extract<BaseType, 'wechat_openid' | 'wechat_unionid' | 'tmall_user_id' | 'jd_user_id' | 'douyin_user_id'>;

export const PRINTABLE_ASCII_ID = /^[\x21-\x7e]{1,128}$/;

export function normalisePlatformId(type: PlatformIdType, input: string): Normalised {
  const text = input.normalize('NFKC').trim();
  if (text === '') return rejected('value_empty');
  if (!PRINTABLE_ASCII_ID.test(text)) return rejected('platform_id_format');
  return accepted(type, text);
}
