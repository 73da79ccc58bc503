/**
 * Which identifiers may join two persons into one (failure mode A.3 of the consent reference):
 * - primary types name one person on their own (an email, a member id, a WeChat unionid);
 * - shared types may be used by several people (a family phone, a shared tablet): one value joins
 *   persons only while it has been seen with at most `limit` distinct primary identifiers; past
 *   that it is flagged and stops joining;
 * - merge-only-through types join persons only when the record also holds one of the named types
 *   (a per-app openid only through its unionid);
 * - any other type joins freely.
 * A declared hash (`email_sha256`, `phone_md5`) follows the rule of its type unless named itself.
 * Single identifiers can also be marked never-merge (a recycled phone number, mark-never-merge.ts).
 */
import { IDENTIFIER_TYPE } from '../../consent/suppression-hash.ts';
import { AccordError } from '../errors.ts';

export interface IdentityRules {
  readonly primaryTypes: readonly string[];
  /** Shared type → how many distinct primary identifiers one value may be seen with and still join. */
  readonly sharedTypes: Readonly<Record<string, number>>;
  /** Type → the types a record must also hold for it to join. */
  readonly mergeOnlyThrough: Readonly<Record<string, readonly string[]>>;
}

export const defaultIdentityRules: IdentityRules = Object.freeze({
  primaryTypes: ['email', 'member_id', 'wechat_unionid', 'tmall_user_id', 'jd_user_id', 'douyin_user_id'],
  sharedTypes: { phone: 3, idfa: 3, oaid: 3, imei: 3, android_id: 3 },
  mergeOnlyThrough: { wechat_openid: ['wechat_unionid'] },
});

/** How much a record's identifier says about who it is, when the record joins nobody. */
export type IdentifierRole = 'primary' | 'ordinary' | 'merge_only_through' | 'shared';
const strengthOf: Record<IdentifierRole, number> = { primary: 3, ordinary: 2, merge_only_through: 1, shared: 0 };

/** The type whose rule applies: the type itself if a rule names it, else the type a declared hash was made of. */
export function ruleTypeOf(rules: IdentityRules, type: string): string {
  const named = rules.primaryTypes.includes(type) || Object.hasOwn(rules.sharedTypes, type) || Object.hasOwn(rules.mergeOnlyThrough, type);
  return named ? type : type.replace(/_(sha256|md5)$/, '');
}

export function roleOf(rules: IdentityRules, type: string): IdentifierRole {
  const ruleType = ruleTypeOf(rules, type);
  if (rules.primaryTypes.includes(ruleType)) return 'primary';
  if (Object.hasOwn(rules.sharedTypes, ruleType)) return 'shared';
  if (Object.hasOwn(rules.mergeOnlyThrough, ruleType)) return 'merge_only_through';
  return 'ordinary';
}

export function fanOutLimitOf(rules: IdentityRules, type: string): number | undefined {
  const ruleType = ruleTypeOf(rules, type);
  return Object.hasOwn(rules.sharedTypes, ruleType) ? rules.sharedTypes[ruleType] : undefined;
}

/** Whether an identifier of this type may join persons in a record holding these types. */
export function joinsAlongside(rules: IdentityRules, type: string, recordTypes: ReadonlySet<string>): boolean {
  const ruleType = ruleTypeOf(rules, type);
  if (!Object.hasOwn(rules.mergeOnlyThrough, ruleType)) return true;
  return [...recordTypes].some((other) => rules.mergeOnlyThrough[ruleType]!.includes(ruleTypeOf(rules, other)));
}

export function strength(rules: IdentityRules, type: string): number {
  return strengthOf[roleOf(rules, type)];
}

export function checkIdentityRules(rules: IdentityRules): void {
  const types = [...rules.primaryTypes, ...Object.keys(rules.sharedTypes), ...Object.keys(rules.mergeOnlyThrough), ...Object.values(rules.mergeOnlyThrough).flat()];
  const bad = types.find((type) => !IDENTIFIER_TYPE.test(type));
  if (bad !== undefined) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `identity rules: ${JSON.stringify(bad)} is not an identifier type`);
  for (const [type, limit] of Object.entries(rules.sharedTypes)) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `identity rules: the fan-out limit of ${type} must be a positive integer`);
    if (rules.primaryTypes.includes(type)) throw new AccordError('ACCORD_ERR_INVALID_INPUT', `identity rules: ${type} cannot be both primary and shared`);
  }
}
