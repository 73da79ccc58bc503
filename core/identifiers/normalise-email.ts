/**
 * Email addresses: NFKC (full-width ＡＢＣ＠ＥＸ．ＣＯＭ becomes ASCII), trimmed, lower-cased and
 * checked against the dot-atom form of RFC 5321 with its length limits. Quoted local parts and
 * internationalised addresses are refused rather than guessed at: after NFKC a look-alike letter
 * from another script is still not ASCII, so it cannot pass for a Latin address.
 * Provider rules (Gmail ignores dots and +tags) are not applied here: each connector applies the
 * rule of its own platform to the canonical form (gmail-address.ts).
 */
import { accepted, rejected, type Normalised } from './identifier.ts';

const MAX_ADDRESS = 254;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const NON_ASCII = /[^\x20-\x7e]/;
const WHITESPACE = /\s/;
// RFC 5322 atext, dot-separated, no leading, trailing or doubled dot.
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

export function normaliseEmail(input: string): Normalised {
  const address = input.normalize('NFKC').trim().toLowerCase();
  if (address === '') return rejected('value_empty');
  if (WHITESPACE.test(address)) return rejected('email_whitespace');
  if (NON_ASCII.test(address)) return rejected('email_non_ascii', 'the address has characters outside ASCII after NFKC (another script, or a control character)');
  if (address.length > MAX_ADDRESS) return rejected('email_too_long');
  const at = address.indexOf('@');
  if (at < 0 || at !== address.lastIndexOf('@')) return rejected('email_at_sign');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length === 0 || local.length > MAX_LOCAL || !LOCAL_PART.test(local)) return rejected('email_local_part');
  if (domain.length > MAX_DOMAIN) return rejected('email_domain');
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label)) || !TOP_LABEL.test(labels[labels.length - 1]!)) {
    return rejected('email_domain', `${JSON.stringify(domain)} is not a domain name with a dot and a top-level label`);
  }
  return accepted('email', address);
}
