/**
 * A collaboration may only do what the tenant's consent ledger can answer for: its purpose must be
 * in the purpose catalogue, and every named recipient must be disclosed for that purpose by a
 * current notice (the latest version of a notice, not disabled). A purpose that needs consent per
 * named recipient (PIPL Art. 23) needs at least one recipient, or no one could have consented.
 * Each party checks this against its own ledger when it approves.
 */
import { ConsentError } from '../../consent/consent-errors.ts';
import { findPurpose } from '../consent/purposes.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

async function recipientsDisclosedFor(trx: TenantTransaction, purpose: string): Promise<Set<string>> {
  const latest = await trx
    .selectFrom('consent_notices')
    .select(['purposes', 'recipients', 'disabled_at'])
    .distinctOn(['notice_key', 'language'])
    .orderBy('notice_key')
    .orderBy('language')
    .orderBy('version', 'desc')
    .execute();
  return new Set(latest.filter((notice) => notice.disabled_at === null && notice.purposes.includes(purpose)).flatMap((notice) => notice.recipients));
}

export async function checkConsentScope(trx: TenantTransaction, purposeKey: string, recipients: readonly string[]): Promise<void> {
  const purpose = await findPurpose(trx, purposeKey);
  if (!purpose) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE', `purpose ${purposeKey} is not in this tenant's purpose catalogue`);
  if (purpose.requiresNamedRecipient && recipients.length === 0) {
    throw new ConsentError('ACCORD_ERR_CONSENT_RECIPIENT', `purpose ${purposeKey} needs consent per named recipient: name the recipients`);
  }
  const disclosed = await recipientsDisclosedFor(trx, purposeKey);
  const undisclosed = recipients.filter((recipient) => !disclosed.has(recipient.normalize('NFC')));
  if (undisclosed.length > 0) {
    throw new ConsentError('ACCORD_ERR_CONSENT_RECIPIENT', `no current notice discloses ${undisclosed.join(', ')} as recipient for ${purposeKey}`);
  }
}
