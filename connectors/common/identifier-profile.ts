/**
 * Builds a platform's IdentifierProfile from its id types: every identifier goes through the shared
 * normaliser (core/identifiers), then the type's form and hash. A hash the source declared
 * (email_sha256, imei_md5) is taken when it is the hash the platform wants, or when the platform's
 * hash can be made from it (Tencent MD5_SHA256_* is SHA-256 of the MD5 hex); its normalisation
 * cannot be checked, so the prepared id says `prehashed`.
 */
import type { IdentifierProfile, IdentifierRefusal, MemberInput, PlatformIdType, Preparation, PreparedId } from '../../core/activation/identifier-profile.ts';
import { profileRefusalReasons } from '../../core/activation/identifier-profile.ts';
import type { Identifier } from '../../core/identifiers/identifier.ts';
import { md5Hex, sha256Hex } from '../../core/identifiers/identifier-hashes.ts';
import { hashedTypeParts, isBaseType } from '../../core/identifiers/identifier-types.ts';
import { normaliseIdentifier } from '../../core/identifiers/normalise-identifier.ts';
import { asIs, type IdForm } from './id-forms.ts';

export interface ProfileType extends PlatformIdType {
  /** How the canonical value is spelled before hashing; as it is when absent. */
  readonly form?: IdForm;
}

const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

function hashOf(algorithm: PlatformIdType['hash'], text: string): string {
  switch (algorithm) {
    case 'sha256':
      return sha256Hex(text);
    case 'md5':
      return md5Hex(text);
    case 'md5_sha256':
      return sha256Hex(md5Hex(text));
    case 'none':
      return text;
  }
}

type Derived = { value: string; prehashed: boolean } | { refusal: IdentifierRefusal };

function derive(type: ProfileType, identifier: Identifier): Derived {
  const encode = (hex: string) => (type.encoding === 'base64' ? hexToBase64(hex) : hex);
  const declared = hashedTypeParts(identifier.type);
  if (declared) {
    if (declared.hash === type.hash) return { value: encode(identifier.value), prehashed: true };
    if (declared.hash === 'md5' && type.hash === 'md5_sha256') return { value: encode(sha256Hex(identifier.value)), prehashed: true };
    const wanted = type.hash === 'none' ? 'the raw value' : type.hash;
    return { refusal: { type: identifier.type, reason: 'hash_not_taken', detail: `${type.type} is made from ${wanted}; this is ${declared.hash}` } };
  }
  const form = type.form ?? asIs;
  const spelled = form.spell(identifier.value);
  if (spelled === undefined) {
    const reason = form.refusal ?? 'hash_not_taken';
    return { refusal: { type: identifier.type, reason, detail: `${type.type}: ${profileRefusalReasons[reason]}` } };
  }
  return { value: type.hash === 'none' ? spelled : encode(hashOf(type.hash, spelled)), prehashed: false };
}

const baseOf = (type: string): string => (isBaseType(type) ? type : (hashedTypeParts(type)?.base ?? type));

export function identifierProfile(types: readonly ProfileType[]): IdentifierProfile {
  const byName = new Map(types.map((type) => [type.type, type]));
  return {
    types,
    prepare(member: MemberInput, wanted: readonly string[]): Preparation {
      const targets = wanted.map((name) => {
        const type = byName.get(name);
        if (!type) throw new TypeError(`no id type ${name} in this profile (${[...byName.keys()].join(', ')})`);
        return type;
      });
      const ids: PreparedId[] = [];
      const refused: IdentifierRefusal[] = [];
      for (const input of member.identifiers) {
        const identifier = normaliseIdentifier(input);
        if (!identifier.ok) {
          refused.push({ type: String(input.type), reason: identifier.reason, detail: identifier.detail });
          continue;
        }
        let took = false;
        let refusal: IdentifierRefusal | undefined;
        for (const type of targets.filter((target) => target.from === baseOf(identifier.type))) {
          const result = derive(type, identifier);
          if ('refusal' in result) {
            refusal ??= result.refusal;
            continue;
          }
          took = true;
          const taken = ids.find((id) => id.type === type.type);
          if (!taken) ids.push({ type: type.type, value: result.value, prehashed: result.prehashed });
          else if (taken.value !== result.value) refused.push({ type: identifier.type, reason: 'second_value', detail: `${type.type}: ${profileRefusalReasons.second_value}` });
        }
        if (!took && refusal) refused.push(refusal);
      }
      if (ids.length === 0) return { ok: false, key: member.key, refused: [...refused, { type: '*', reason: 'no_usable_identifier', detail: `takes ${wanted.join(', ')}` }] };
      return { ok: true, member: { key: member.key, ids }, refused };
    },
  };
}
