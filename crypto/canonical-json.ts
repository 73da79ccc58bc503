/**
 * JSON Canonicalization Scheme, RFC 8785: the one byte string a JSON value hashes and signs as.
 * Object members sorted by UTF-16 code units, ECMAScript number and string serialisation, no
 * whitespace. Guarantee: equal JSON data gives equal bytes on every platform that follows the RFC.
 * Refused (TypeError): non-finite numbers, lone surrogates, and anything that is not plain JSON data
 * (undefined, bigint, functions, Dates, class instances), so nothing is silently dropped or coerced.
 * Unicode normalisation is not part of RFC 8785; callers that need NFC apply it to their text first.
 */

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function serializeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) throw new TypeError(`${path}: string has a lone surrogate`);
  // ECMAScript's JSON.stringify of a well-formed string is exactly RFC 8785 §3.2.2.2.
  return JSON.stringify(value);
}

function serialize(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} is not a JSON number`);
      // Number::toString is the serialisation RFC 8785 §3.2.2.3 prescribes (and -0 becomes 0).
      return JSON.stringify(value);
    case 'string':
      return serializeString(value, path);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item, i) => serialize(item, `${path}[${i}]`)).join(',')}]`;
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) {
        throw new TypeError(`${path}: ${prototype?.constructor?.name ?? 'object'} is not plain JSON data`);
      }
      const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const members = keys.map((key) => `${serializeString(key, path)}:${serialize((value as Record<string, unknown>)[key], `${path}.${key}`)}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new TypeError(`${path}: ${typeof value} is not JSON data`);
  }
}

export function canonicalJson(value: unknown): string {
  return serialize(value, '$');
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
