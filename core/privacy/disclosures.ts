/**
 * The disclosure log: which named recipient (media partner, ad platform) was sent a subject's data,
 * for what purpose, under which run. Written by whatever sends data out (activation, partner
 * matches) in the transaction that records the send; read by access exports ("where was my data
 * sent") and by erasure, which notifies every recipient (GDPR Art. 19, CCPA Regs §7026(f)).
 */
import type { TenantTransaction } from '../db/tenant-scope.ts';

export interface Disclosure {
  readonly subject: string;
  readonly recipient: string;
  readonly purpose: string;
  /** The run or job that sent it, e.g. an audience sync id. */
  readonly reference: string;
  readonly disclosedAt: Date;
}

export async function recordDisclosures(trx: TenantTransaction, disclosures: readonly Disclosure[]): Promise<void> {
  if (disclosures.length === 0) return;
  await trx
    .insertInto('subject_disclosures')
    .values(disclosures.map((d) => ({ tenant_id: trx.tenantId, subject: d.subject.normalize('NFC'), recipient: d.recipient.normalize('NFC'), purpose: d.purpose, reference: d.reference, disclosed_at: d.disclosedAt })))
    .execute();
}

/** Recipients the subject's data was sent to, each once. */
export async function disclosedRecipients(trx: TenantTransaction, subject: string): Promise<string[]> {
  const rows = await trx.selectFrom('subject_disclosures').select('recipient').distinct().where('subject', '=', subject.normalize('NFC')).orderBy('recipient').execute();
  return rows.map((row) => row.recipient);
}
