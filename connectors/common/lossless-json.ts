/**
 * JSON without silent rounding: platforms issue integer ids above 2^53 (Amazon audienceId, Tencent
 * and Ocean Engine ids), which JSON.parse would change. Numbers a double cannot hold exactly come
 * back as their digit strings; bigint values are written as bare JSON numbers.
 */
import { isSafeNumber, parse, stringify } from 'lossless-json';

export function parseJson(text: string): unknown {
  return parse(text, null, (digits) => (isSafeNumber(digits) ? Number(digits) : digits));
}

export function toJson(value: unknown): string {
  return stringify(value) ?? 'null';
}
