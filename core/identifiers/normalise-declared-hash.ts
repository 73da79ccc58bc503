/**
 * Identifiers that arrive already hashed, as the caller declares (`email_sha256`, `phone_md5`):
 * lower-case hex of the declared length. A value whose length fits another hash is refused, not
 * reinterpreted, and the hash of the empty string (a pipeline that hashed a blank field) too.
 * Whoever hashed it chose the normalisation; only a raw value tells us it matches ours.
 */
import { accepted, rejected, type Normalised } from './identifier.ts';
import { HASH_LENGTHS, type HashedType, type HashKind } from './identifier-types.ts';

const HEX = /^[0-9a-f]+$/;
const EMPTY_STRING_HASHES = new Set([
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'd41d8cd98f00b204e9800998ecf8427e',
]);

export function normaliseDeclaredHash(type: HashedType, hash: HashKind, input: string): Normalised {
  const text = input.normalize('NFKC').trim().toLowerCase();
  if (text === '') return rejected('value_empty');
  if (!HEX.test(text)) return rejected('hash_not_hex');
  const expected = HASH_LENGTHS[hash];
  if (text.length !== expected) {
    const looksLike = (Object.keys(HASH_LENGTHS) as HashKind[]).find((kind) => HASH_LENGTHS[kind] === text.length);
    return rejected('hash_length_mismatch', `${type} is ${expected} hex digits; this has ${text.length}${looksLike ? ` (the length of ${looksLike})` : ''}`);
  }
  if (EMPTY_STRING_HASHES.has(text)) return rejected('hash_of_empty', `this is the ${hash} of an empty string: the source hashed a blank field`);
  return accepted(type, text);
}
