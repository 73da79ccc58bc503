/**
 * The identifier types Accord knows, what each canonical form is, and which need a scope.
 * A scope names who issued an identifier that is only unique within the issuer (a WeChat app, a
 * shop): the same string under two scopes is two identifiers and never merges on its own.
 * Hashed types (`email_sha256`, `phone_md5`, ...) are only ever what the caller declared; a value
 * that merely looks like hex is never taken for a hash.
 */

export const BASE_TYPES = {
  email: { scope: 'none', about: 'email address, lower-case ASCII' },
  phone: { scope: 'none', about: 'mobile number in E.164; landlines are refused' },
  idfa: { scope: 'none', about: 'Apple advertising id, upper-case UUID' },
  oaid: { scope: 'none', about: 'Android open advertising id (MSA), lower-case' },
  imei: { scope: 'none', about: '15-digit IMEI with its Luhn check digit' },
  android_id: { scope: 'none', about: 'Android ID, 16 lower-case hex digits' },
  wechat_openid: { scope: 'required', about: 'WeChat openid; scope: the app id that issued it' },
  wechat_unionid: { scope: 'required', about: 'WeChat unionid; scope: the open-platform account' },
  tmall_user_id: { scope: 'required', about: 'Tmall/Taobao buyer id; scope: the shop or app key it was issued to' },
  jd_user_id: { scope: 'required', about: 'JD buyer id (encrypted pin / open id); scope: the shop or app key' },
  douyin_user_id: { scope: 'required', about: 'Douyin open_id; scope: the app or shop it was issued to' },
  // Required: member numbers are often short and sequential, so two programmes' "10001" must stay two people.
  member_id: { scope: 'required', about: "the brand's own membership number, case and inner spaces kept; scope: the programme that issued it" },
} as const;

export type BaseType = keyof typeof BASE_TYPES;

/** Hex digits of each hash a caller may declare. */
export const HASH_LENGTHS = { sha256: 64, md5: 32 } as const;
export type HashKind = keyof typeof HASH_LENGTHS;

export type HashedType = `${BaseType}_${HashKind}`;
export type IdentifierType = BaseType | HashedType;

const HASHED_TYPE = /^([a-z][a-z0-9_]*)_(sha256|md5)$/;

export function isBaseType(type: string): type is BaseType {
  return Object.hasOwn(BASE_TYPES, type);
}

/** Splits `email_sha256` into its base type and hash; undefined for anything that is not a declared-hash type. */
export function hashedTypeParts(type: string): { base: BaseType; hash: HashKind } | undefined {
  const match = HASHED_TYPE.exec(type);
  if (!match || !isBaseType(match[1]!)) return undefined;
  return { base: match[1], hash: match[2] as HashKind };
}

export function isIdentifierType(type: string): type is IdentifierType {
  return isBaseType(type) || hashedTypeParts(type) !== undefined;
}

export function scopeRuleOf(type: IdentifierType): 'none' | 'required' {
  return BASE_TYPES[isBaseType(type) ? type : hashedTypeParts(type)!.base].scope;
}

export const identifierTypes: readonly IdentifierType[] = (Object.keys(BASE_TYPES) as BaseType[]).flatMap((base) => [
  base,
  ...(Object.keys(HASH_LENGTHS) as HashKind[]).map((hash): IdentifierType => `${base}_${hash}`),
]);
