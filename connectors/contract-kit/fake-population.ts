/**
 * How a fake recognises identifiers: for each platform id type, the wire format, the value a
 * correct client sends for each known person, and the values a client sends when it spelled the
 * id wrongly before hashing (phone with "+" for Meta, lower-case IDFA for Tencent, ...).
 * Stricter than the platforms: they would silently not match a misspelled id; the fakes refuse it,
 * so a normalisation bug fails a test instead of lowering a match rate.
 * Each fake writes its spellings out plainly here rather than reusing the connector's profile, so
 * the two are independent statements of the contract.
 */
import { createHash } from 'node:crypto';
import type { FakePerson } from './fake-people.ts';

export interface FakeIdType {
  readonly format: RegExp;
  /** The raw spelling a correct client hashes, or undefined when the platform cannot take this person's id. */
  spell(person: FakePerson): string | undefined;
  /** Spellings a client might get wrong; the ones different from spell() are mistakes. */
  readonly misspellings: ReadonlyArray<(person: FakePerson) => string | undefined>;
  hash(spelling: string): string;
}

export type IdCheck = { readonly ok: true; readonly person: number | undefined } | { readonly ok: false; readonly reason: string };

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const md5 = (text: string) => createHash('md5').update(text).digest('hex');
export const HEX64 = /^[0-9a-f]{64}$/;
export const HEX32 = /^[0-9a-f]{32}$/;

export const mainland11 = (person: FakePerson) => (person.phone.startsWith('+861') ? person.phone.slice(3) : undefined);
/** Gmail without dots and +tag, written out independently of core/identifiers/gmail-address.ts. */
export const gmailStripped = (person: FakePerson) => {
  const [local, domain] = person.email.split('@') as [string, string];
  return domain === 'gmail.com' ? `${local.split('+')[0]!.replaceAll('.', '')}@${domain}` : person.email;
};
export const phoneSpellings = [(p: FakePerson) => p.phone, (p: FakePerson) => p.phone.slice(1), mainland11];
export const emailSpellings = [(p: FakePerson) => p.email, (p: FakePerson) => p.email.toUpperCase(), gmailStripped];

export class FakePopulation {
  private readonly known = new Map<string, Map<string, number>>();
  private readonly mistakes = new Map<string, Map<string, string>>();

  constructor(
    people: readonly FakePerson[],
    private readonly types: Readonly<Record<string, FakeIdType>>,
  ) {
    for (const [name, type] of Object.entries(types)) {
      const known = new Map<string, number>();
      const mistakes = new Map<string, string>();
      people.forEach((person, index) => {
        const right = type.spell(person);
        if (right !== undefined) known.set(type.hash(right), index);
        for (const misspell of type.misspellings) {
          const wrong = misspell(person);
          if (wrong !== undefined && wrong !== right) mistakes.set(type.hash(wrong), `${name} of ${JSON.stringify(wrong)}: spelled the way this platform does not take`);
        }
      });
      this.known.set(name, known);
      this.mistakes.set(name, mistakes);
    }
  }

  has(type: string): boolean {
    return Object.hasOwn(this.types, type);
  }

  check(type: string, value: string): IdCheck {
    const spec = this.types[type];
    if (!spec) return { ok: false, reason: `unknown id type ${type}` };
    if (!spec.format.test(value)) return { ok: false, reason: `${type} must match ${spec.format}` };
    const mistake = this.mistakes.get(type)!.get(value);
    if (mistake !== undefined && !this.known.get(type)!.has(value)) return { ok: false, reason: mistake };
    return { ok: true, person: this.known.get(type)!.get(value) };
  }
}
