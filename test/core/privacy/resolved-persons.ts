/**
 * Erasure test setup: persons resolved from their identifiers the way ingest resolves them, and
 * erasure requests brought to in_progress as a privacy officer would bring them there.
 */
import type { TenantTransaction } from '../../../core/db/tenant-scope.ts';
import type { Identifier } from '../../../core/identifiers/identifier.ts';
import type { IdentifierKeys } from '../../../core/identifiers/identifier-keys.ts';
import { upsertIdentifiers } from '../../../core/identifiers/identifier-store.ts';
import { normaliseIdentifier } from '../../../core/identifiers/normalise-identifier.ts';
import { resolvePersons } from '../../../core/one-id/resolve-persons.ts';
import { createPrivacyRequest, transitionPrivacyRequest, type PrivacyRequest } from '../../../core/privacy/privacy-requests.ts';

export function identifierOf(type: string, value: string): Identifier {
  const normalised = normaliseIdentifier({ type, value });
  if (!normalised.ok) throw new Error(normalised.detail);
  return normalised;
}

/** Stores the identifiers of one member row and resolves its person; returns the person id. */
export async function ingestPerson(trx: TenantTransaction, keys: IdentifierKeys, identifiers: readonly Identifier[]): Promise<number> {
  const ids = await upsertIdentifiers(trx, keys, identifiers);
  const resolved = await resolvePersons(trx, [{ identifiers: identifiers.map((found, i) => ({ id: ids[i]!, type: found.type })) }]);
  return resolved.personIds[0]!;
}

export async function erasureInProgress(trx: TenantTransaction, subject: string): Promise<PrivacyRequest> {
  const created = await createPrivacyRequest(trx, { kind: 'erasure', regime: 'pipl', subject, receivedAt: new Date() }, 'officer');
  await transitionPrivacyRequest(trx, created.id, { to: 'verifying' }, 'officer');
  return transitionPrivacyRequest(trx, created.id, { to: 'in_progress', verification: { method: 'sms_otp', reference: 'otp-1' } }, 'officer');
}
