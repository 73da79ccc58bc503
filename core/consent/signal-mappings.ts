/**
 * The tenant's signal mapping (consent/signals/signal-mapping.ts), kept as numbered versions: each
 * publication is the whole table, so every stored signal and every export can name the version it
 * was read through, and an old version stays readable.
 */
import { ConsentError } from '../../consent/consent-errors.ts';
import { checkMappingEntries, type ConsentModeSignal, type SignalMappingEntry } from '../../consent/signals/signal-mapping.ts';
import type { UsOptOutField } from '../../consent/signals/gpp-string.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';
import { findPurpose } from './purposes.ts';

export interface SignalMapping {
  /** 0 when none was ever published: then no signal maps to anything. */
  readonly version: number;
  readonly entries: SignalMappingEntry[];
}

export async function publishSignalMapping(trx: TenantTransaction, entries: readonly SignalMappingEntry[], publishedBy: string): Promise<SignalMapping> {
  const normalised = entries.map((entry) => ({ ...entry, recipient: entry.recipient.normalize('NFC') }));
  checkMappingEntries(normalised);
  for (const entry of normalised) {
    const purpose = await findPurpose(trx, entry.purpose);
    if (!purpose) throw new ConsentError('ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE', `unknown purpose ${entry.purpose}`);
    // Otherwise every signal touching the entry would fail when recorded.
    if (purpose.requiresNamedRecipient !== (entry.recipient !== '')) {
      throw new ConsentError('ACCORD_ERR_CONSENT_RECIPIENT', purpose.requiresNamedRecipient ? `purpose ${purpose.key} needs a named recipient` : `purpose ${purpose.key} takes no recipient`);
    }
  }
  // The version row's primary key serialises concurrent publications: the loser fails, nothing mixes.
  const version = (await latestVersion(trx)) + 1;
  await trx.insertInto('consent_signal_mapping_versions').values({ tenant_id: trx.tenantId, version, published_by: publishedBy }).execute();
  if (normalised.length > 0) {
    await trx
      .insertInto('consent_signal_mappings')
      .values(normalised.map((entry) => ({
        tenant_id: trx.tenantId,
        version,
        purpose: entry.purpose,
        recipient: entry.recipient,
        tcf_purposes: entry.tcfPurposes,
        tcf_vendor_id: entry.tcfVendorId,
        gpp_usnat: entry.gppUsnat,
        google_consent_mode: entry.googleConsentMode,
        dpv_purpose: entry.dpvPurpose,
      })))
      .execute();
  }
  return { version, entries: normalised };
}

async function latestVersion(trx: TenantTransaction): Promise<number> {
  const row = await trx.selectFrom('consent_signal_mapping_versions').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst();
  return row?.version ?? 0;
}

/** The latest published mapping, or version 0 with no entries. */
export async function currentSignalMapping(trx: TenantTransaction): Promise<SignalMapping> {
  const version = await latestVersion(trx);
  if (version === 0) return { version, entries: [] };
  const rows = await trx.selectFrom('consent_signal_mappings').selectAll().where('version', '=', version).orderBy('purpose').orderBy('recipient').execute();
  return {
    version,
    entries: rows.map((row) => ({
      purpose: row.purpose,
      recipient: row.recipient,
      tcfPurposes: row.tcf_purposes,
      tcfVendorId: row.tcf_vendor_id,
      gppUsnat: row.gpp_usnat as UsOptOutField[],
      googleConsentMode: row.google_consent_mode as ConsentModeSignal[],
      dpvPurpose: row.dpv_purpose,
    })),
  };
}
