/**
 * The consent-ledger subject of a person: `person:<id>`. This string, and no identifier (email,
 * phone, openid), is what consent for a resolved person is recorded, gated and merged under, so a
 * merge or split of persons is one ledger operation instead of one per identifier. It is stored
 * in persons.subject (generated from the id), and never changes: an absorbed person keeps its
 * subject, whose history stays readable, while its identifiers move to the survivor.
 */
export function consentSubjectOf(personId: number): string {
  return `person:${personId}`;
}
