/**
 * Erasure (PIPL Art. 47, GDPR Art. 17, CCPA §1798.105) in one transaction:
 * 1. every consent the subject still grants is withdrawn by a ledger event (channel privacy_request,
 *    source the request id): the proof that processing stopped, kept because it names only the
 *    opaque subject reference;
 * 2. the vault's payloads are deleted and the subject's key is shredded;
 * 3. for a resolved person (`person:<id>`), with everyone merged into them: their first-party data
 *    is deleted (erase-person-data.ts) and they are removed from every derived store, segment
 *    memberships and stored PSI matches with their payloads (erase-derived-stores.ts), each store's
 *    removal recorded against the request;
 * 4. suppression tombstones for the subject and for the hashed identifiers given are added, so the
 *    person is not brought back by a later import or audience sync;
 * 5. a `subject.erased` job is queued (outbox) with the tombstones and the recipients the person's
 *    data went to, so the recipients are notified.
 * Running it again for the same subject changes nothing and queues nothing.
 */
import { ConsentError } from '../../consent/consent-errors.ts';
import type { Regime } from '../../consent/consent-event.ts';
import { identifierTombstone, subjectTombstone, type HashedIdentifier } from '../../consent/suppression-hash.ts';
import { recordConsentEvents, type ConsentEventInput } from '../consent/record-consent-event.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { enqueueJob } from '../jobs/enqueue-job.ts';
import type { IdentifierKeys } from '../identifiers/identifier-keys.ts';
import { disclosedRecipients } from './disclosures.ts';
import { eraseDerivedStores } from './erase-derived-stores.ts';
import { erasePersonData, personIdOf, personWithAbsorbed, type PersonDataErased } from './erase-person-data.ts';
import type { StoreRemoval } from './privacy-request-removals.ts';
import type { PrivacyRequest } from './privacy-requests.ts';
import type { SubjectVault } from './subject-vault.ts';
import { addTombstones, type Tombstone } from './suppression.ts';

export const SUBJECT_ERASED_JOB = 'subject.erased';
const MAX_IDENTIFIERS = 50;

export interface SubjectErasedPayload {
  readonly requestId: string;
  /** Hex tombstone of the subject reference. */
  readonly subjectTombstone: string;
  /** Hex tombstones of the subject and of each hashed identifier given. */
  readonly tombstones: string[];
  /** Named recipients the subject consented to sharing with, and every recipient in the disclosure log. */
  readonly recipients: string[];
}

export interface ErasureOutcome {
  readonly withdrawnSeqs: number[];
  readonly fieldsDeleted: number;
  readonly keyShredded: boolean;
  readonly tombstonesAdded: number;
  readonly recipients: string[];
  readonly jobId: string | null;
  /** Nothing was left to erase: an earlier erasure already did it all. */
  readonly alreadyErased: boolean;
  /** For a resolved person (`person:<id>`): the first-party rows deleted. */
  readonly personData?: PersonDataErased;
  /** For a resolved person: per derived store, what was removed and where the removal stands. */
  readonly removals: StoreRemoval[];
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** What erasure needs to open and shred: the subject vault, and the identifier keys for a person's identifiers. */
export interface ErasureKeys {
  readonly vault: SubjectVault;
  readonly identifiers: IdentifierKeys;
}

export async function eraseSubject(
  trx: TenantTransaction,
  keys: ErasureKeys,
  request: Pick<PrivacyRequest, 'id' | 'subject'>,
  identifiers: readonly HashedIdentifier[],
  now = new Date(),
): Promise<ErasureOutcome> {
  if (identifiers.length > MAX_IDENTIFIERS) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `at most ${MAX_IDENTIFIERS} identifiers per erasure`);
  const subject = request.subject;
  const subjectHash = subjectTombstone(trx.tenantId, subject);
  const tombstones = new Map<string, Tombstone>([[hex(subjectHash), { hash: subjectHash, kind: 'subject' }]]);
  for (const identifier of identifiers) {
    const hash = identifierTombstone(trx.tenantId, identifier);
    tombstones.set(hex(hash), { hash, kind: identifier.type });
  }

  const granted = await trx
    .selectFrom('consent_state')
    .select(['purpose', 'recipient', 'regime', 'decided_by_seq', 'decided_at'])
    .where('subject', '=', subject)
    .where('granted', '=', true)
    .orderBy('decided_by_seq')
    .execute();
  const withdrawals: ConsentEventInput[] = granted.map((state) => ({
    // Derived from the request and the grant it ends, so a retried erasure appends nothing twice.
    clientEventId: `erasure:${request.id}:${state.decided_by_seq}`,
    subject,
    purpose: state.purpose,
    recipient: state.recipient,
    regime: state.regime as Regime,
    kind: 'withdrawn',
    channel: 'privacy_request',
    source: request.id,
    evidence: { privacyRequestId: request.id },
    // Never earlier than the grant it ends: an older withdrawal would not decide the state.
    collectedAt: new Date(Math.max(now.getTime(), state.decided_at.getTime())),
  }));
  // Opt-out purposes allow silence; an erased person is refused them explicitly.
  const refusals = (await optOutPurposesWithoutDenial(trx, subject)).map(({ purpose, regime }): ConsentEventInput => ({
    clientEventId: `erasure:${request.id}:opt-out:${purpose}:${regime}`,
    subject,
    purpose,
    regime,
    kind: 'refused',
    channel: 'privacy_request',
    source: request.id,
    evidence: { privacyRequestId: request.id },
    collectedAt: now,
  }));
  const recorded = await recordConsentEvents(trx, [...withdrawals, ...refusals], now);
  const withdrawnSeqs = recorded.filter((event) => !event.duplicate).map((event) => event.seq);

  const recipients = [...new Set([...granted.map((state) => state.recipient).filter((r) => r !== ''), ...(await disclosedRecipients(trx, subject))])].sort();
  const { fieldsDeleted, keyShredded } = await keys.vault.shred(trx, subject);
  const personId = personIdOf(subject);
  const personIds = personId === undefined ? [] : await personWithAbsorbed(trx, personId);
  const personData = personId === undefined ? undefined : await erasePersonData(trx, keys.identifiers, personIds);
  const removals = await eraseDerivedStores(trx, request.id, personIds);
  for (const tombstone of personData?.tombstones ?? []) tombstones.set(hex(tombstone.hash), tombstone);
  const tombstonesAdded = await addTombstones(trx, [...tombstones.values()], request.id);

  const personDataErased = personData ? Object.values(personData.erased).some((count) => count > 0) : false;
  const derivedErased = removals.some((removal) => removal.removed > 0);
  const alreadyErased = withdrawnSeqs.length === 0 && fieldsDeleted === 0 && !keyShredded && tombstonesAdded === 0 && !personDataErased && !derivedErased;
  const payload: SubjectErasedPayload = { requestId: request.id, subjectTombstone: hex(subjectHash), tombstones: [...tombstones.keys()], recipients };
  const jobId = alreadyErased ? null : await enqueueJob(trx, SUBJECT_ERASED_JOB, payload);
  return { withdrawnSeqs, fieldsDeleted, keyShredded, tombstonesAdded, recipients, jobId, alreadyErased, ...(personData ? { personData: personData.erased } : {}), removals };
}

/** Purposes processed on an opt-out basis in some regime (no named recipient) that the subject has not denied there. */
async function optOutPurposesWithoutDenial(trx: TenantTransaction, subject: string): Promise<Array<{ purpose: string; regime: Regime }>> {
  const purposes = await trx.selectFrom('consent_purposes').select(['key', 'legal_basis']).where('requires_named_recipient', '=', false).execute();
  const denied = new Set(
    (await trx.selectFrom('consent_state').select(['purpose', 'regime']).where('subject', '=', subject).where('recipient', '=', '').where('granted', '=', false).execute())
      .map((row) => `${row.purpose}\0${row.regime}`),
  );
  return purposes.flatMap((purpose) =>
    Object.entries(purpose.legal_basis as Record<Regime, string>)
      .filter(([regime, basis]) => basis === 'opt_out' && !denied.has(`${purpose.key}\0${regime}`))
      .map(([regime]) => ({ purpose: purpose.key, regime: regime as Regime })),
  );
}
