/**
 * The one normaliser: ingest, PSI and the ad connectors all turn what they receive into a
 * canonical identifier here. Never throws on user input; a refusal carries a stable reason code.
 */
import { accepted, rejected, type Normalised } from './identifier.ts';
import { hashedTypeParts, isIdentifierType, scopeRuleOf, type IdentifierType } from './identifier-types.ts';
import { normaliseDeclaredHash } from './normalise-declared-hash.ts';
import { normaliseAndroidId, normaliseIdfa, normaliseImei, normaliseOaid } from './normalise-device-id.ts';
import { normaliseEmail } from './normalise-email.ts';
import { normaliseMemberId } from './normalise-member-id.ts';
import { normalisePhone } from './normalise-phone.ts';
import { normalisePlatformId, PRINTABLE_ASCII_ID } from './normalise-platform-id.ts';

export interface IdentifierInput {
  readonly type: string;
  readonly value: unknown;
  /** The issuing app or shop, for scoped types. */
  readonly scope?: unknown;
  /** ISO 3166 region for reading national phone numbers; CN when absent. */
  readonly region?: string | undefined;
}

/** Bounds the work NFKC and the parsers do on hostile input. */
const MAX_VALUE_LENGTH = 1024;

function normaliseValue(type: IdentifierType, value: string, region: string | undefined): Normalised {
  switch (type) {
    case 'email':
      return normaliseEmail(value);
    case 'phone':
      return normalisePhone(value, region);
    case 'idfa':
      return normaliseIdfa(value);
    case 'oaid':
      return normaliseOaid(value);
    case 'imei':
      return normaliseImei(value);
    case 'android_id':
      return normaliseAndroidId(value);
    case 'wechat_openid':
    case 'wechat_unionid':
    case 'tmall_user_id':
    case 'jd_user_id':
    case 'douyin_user_id':
      return normalisePlatformId(type, value);
    case 'member_id':
      return normaliseMemberId(value);
    default: {
      const parts = hashedTypeParts(type)!;
      return normaliseDeclaredHash(type, parts.hash, value);
    }
  }
}

/** The scope as stored, or a refusal; '' means the type has none. */
function checkScope(type: IdentifierType, scope: unknown): string | Normalised {
  const text = typeof scope === 'string' ? scope.normalize('NFKC').trim() : scope;
  if (scopeRuleOf(type) === 'none') return text === undefined || text === null || text === '' ? '' : rejected('scope_not_allowed', `${type} is unique on its own and takes no scope`);
  if (text === undefined || text === null || text === '') return rejected('scope_required', `${type} is only unique within its issuer: give the app or shop id as scope`);
  if (typeof text !== 'string' || !PRINTABLE_ASCII_ID.test(text)) return rejected('scope_malformed');
  return text;
}

export function normaliseIdentifier(input: IdentifierInput): Normalised {
  if (!isIdentifierType(input.type)) return rejected('unknown_type', `unknown identifier type ${JSON.stringify(String(input.type).slice(0, 40))}`);
  if (typeof input.value !== 'string') return rejected('value_not_text', 'identifiers are given as text (a phone number sent as a JSON number loses leading zeros)');
  if (input.value.length > MAX_VALUE_LENGTH) return rejected('value_too_long');
  if (input.value.trim() === '') return rejected('value_empty');
  const scope = checkScope(input.type, input.scope);
  if (typeof scope !== 'string') return scope;
  const result = normaliseValue(input.type, input.value, input.region);
  return result.ok && scope !== '' ? accepted(result.type, result.value, scope) : result;
}
