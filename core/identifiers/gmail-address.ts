/**
 * Gmail's own equivalence, for the platforms that ask for it before hashing (Google, and UID2 for
 * The Trade Desk): Gmail ignores dots in the mailbox name and everything after a "+", so
 * j.doe+ads@gmail.com and jdoe@gmail.com reach one inbox. Applied to the canonical address
 * (normalise-email.ts) and only for gmail.com and googlemail.com; other providers' rules differ,
 * and applying it everywhere (as some connectors do) loses matches.
 * Google's formatting guide once removed only the dots; `plusSuffix` keeps that choice open.
 */

const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

export function gmailAddress(email: string, { plusSuffix }: { plusSuffix: boolean }): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  if (!GMAIL_DOMAINS.has(domain)) return email;
  let local = email.slice(0, at);
  if (plusSuffix) local = local.split('+', 1)[0]!;
  local = local.replaceAll('.', '');
  // "+tag@gmail.com" has no mailbox left: keep it as it is rather than hash "@gmail.com".
  return local === '' ? email : `${local}@${domain}`;
}
