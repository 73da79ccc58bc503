/**
 * The people a fake platform knows (its user base), generated deterministically so a test can
 * upload some of them and expect exactly those to match. Canonical spellings: email lower-case,
 * phone E.164 (most mainland China, every third a US number), IDFA upper-case, OAID lower-case,
 * IMEI 15 digits with a valid check digit. Every fourth email is a Gmail address with dots and a
 * +tag, so Gmail rules show.
 */
import { createHash } from 'node:crypto';
import { luhnCheckDigit } from '../../core/identifiers/normalise-device-id.ts';

export interface FakePerson {
  readonly email: string;
  readonly phone: string;
  readonly idfa: string;
  readonly imei: string;
  readonly oaid: string;
}

const uuidOf = (seed: string) => {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

export function fakePerson(index: number): FakePerson {
  const body = `35${String(index).padStart(12, '0')}`;
  return {
    email: index % 4 === 0 ? `fan.${index}+ads@gmail.com` : `person${index}@example.com`,
    phone: index % 3 === 2 ? `+1415555${String(1000 + (index % 9000)).padStart(4, '0')}` : `+86138${String(index).padStart(8, '0')}`,
    idfa: uuidOf(`idfa ${index}`).toUpperCase(),
    imei: `${body}${luhnCheckDigit(body)}`,
    oaid: uuidOf(`oaid ${index}`),
  };
}

/** People `from` .. `from + count - 1`. */
export function fakePeople(count: number, from = 0): FakePerson[] {
  return Array.from({ length: count }, (_, i) => fakePerson(from + i));
}
