/**
 * The one list of code that touches people without the consent gate, and why. Everything else that
 * reads or writes a person's data takes a ConsentedPersons (or a ConsentedSet) that only the gate
 * makes. test/core/consent/ungated-processing.test.ts reads every module of core/ and api/ that
 * queries a person-level table, and fails on one that neither asks the gate nor is listed here.
 */
const IDENTITY_RESOLUTION =
  'Identity resolution (one-ID): finding which records are one person is what lets consent hold for the person at all; an absorbed person answers through its survivor, which takes the strictest consent of both.';
const RULE_SQL = 'Builds or plans the SQL of a rule; only gated callers run it for people.';

export const ungatedProcessing: Readonly<Record<string, string>> = {
  // The ledger records what people decide: no consent can be required to record a refusal or a withdrawal.
  'core/consent/record-consent-event.ts': 'The ledger’s one writer: records grants, refusals and withdrawals, and the registration consents members bring with them.',
  'core/consent/subject-consent-history.ts': 'A person’s own consent history, the evidence of what they decided.',

  // The rights of the person themself: gating them on consent would let a withdrawal block its own effect.
  'core/privacy/erase-person-data.ts': 'Erasure (PIPL Art. 47, GDPR Art. 17) carries out the person’s request.',
  'core/privacy/subject-vault.ts': 'Holds a person’s sealed contact points for the access export (PIPL Art. 45, GDPR Art. 15) and shreds them on erasure.',
  'core/privacy/export-subject-data.ts': 'The access export (PIPL Art. 45, GDPR Art. 15): what is held about the person, for the person.',
  'core/privacy/subject-export-sections.ts': 'The sections of the access export (PIPL Art. 45, GDPR Art. 15), segment memberships and PSI matches included: what is held about the person, for the person.',

  // Collection: storing what the brand received, under the notice it was collected with, derives nothing.
  'core/ingest/write-profiles.ts': 'Ingest stores attributes, orders and events as they arrive; registration consents in the same rows go through the ledger writer.',
  'core/identifiers/identifier-store.ts': 'Stores and opens sealed identifiers: collection, and the lookups gated paths need to reach a person.',
  'core/identifiers/identifier-persons.ts': 'Finds the persons an uploaded list names; what is then done with them (an imported segment) is gated.',

  'core/one-id/apply-resolution-plan.ts': IDENTITY_RESOLUTION,
  'core/one-id/create-persons.ts': IDENTITY_RESOLUTION,
  'core/one-id/identity-rules.ts': IDENTITY_RESOLUTION,
  'core/one-id/load-identity-snapshot.ts': IDENTITY_RESOLUTION,
  'core/one-id/repoint-merged-profiles.ts': IDENTITY_RESOLUTION,
  'core/one-id/split-person.ts': IDENTITY_RESOLUTION,

  'core/segments/compile-segment-rule.ts': RULE_SQL,
  'core/tags/compile-rule.ts': RULE_SQL,
  'core/tags/check-rule-tag.ts': 'Checks that the attributes a rule reads exist, by key; no person’s value is read.',

  // Reads and writes of stored data beside gated computation in the same modules.
  'core/tags/tag-value-store.ts':
    'Besides computed results (gated): static values the brand sets, like an attribute, and reads of stored values; a computed value of a person who withdrew is gone at the next run.',
  'core/segments/segment-store.ts': 'Besides membership (gated when stored): reads of stored members and of what a refresh changed, so removals reach activation too.',
  'api/routes/tag-routes.ts': 'Checks that a person exists before listing its stored tag values.',

  // PSI: the input is gated for the collaboration's purpose and every recipient (psi-input.ts).
  'core/psi/tag-payloads.ts': 'The named tag values of the persons of a PSI input the gate allowed for the collaboration.',
  'core/psi/psi-matches.ts': 'Stores matched members of a gated PSI input; its reader is called only by read-consented-matches.ts, which gates every read.',

  // Federated scoring: rows, leads and populations are gated for the collaboration's purpose first
  // (start-training.ts, lead-scoring.ts, lookalike-expansion.ts); these helpers read what those allowed.
  'core/scoring/tag-columns.ts': 'Reads the tag values of persons its callers took from the gate (training rows, released leads, a lookalike population).',
  'core/scoring/row-alignment.ts': 'Derives row keys from the identifiers of matched persons before and after the gate decides which rows train; nothing of a person is kept for a row the gate refuses.',

  // Lookup by identifier: a privacy officer finds whose request it is; no processing for a purpose.
  'api/routes/person-lookup-routes.ts': 'Finds a person by the keyed hash of one identifier so a privacy officer can answer their request; it reads nothing else of the person, and each lookup is audited.',
};
