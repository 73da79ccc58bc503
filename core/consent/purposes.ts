/** The tenant's purpose catalogue. A purpose, once defined, keeps its meaning: redefining differs is refused. */
import { ConsentError } from '../../consent/consent-errors.ts';
import { regimes } from '../../consent/consent-event.ts';
import { PURPOSE_KEY, type Purpose } from '../../consent/purpose.ts';
import type { TenantTransaction } from '../db/tenant-scope.ts';

type PurposeRow = { key: string; name: string; mechanism: Purpose['mechanism']; legal_basis: unknown; retention_days: number | null; sensitive_category: string | null; requires_named_recipient: boolean; cross_border: boolean; public_disclosure: boolean };

const toPurpose = (row: PurposeRow): Purpose => ({
  key: row.key,
  name: row.name,
  mechanism: row.mechanism,
  legalBasis: row.legal_basis as Purpose['legalBasis'],
  retentionDays: row.retention_days,
  sensitiveCategory: row.sensitive_category,
  requiresNamedRecipient: row.requires_named_recipient,
  crossBorder: row.cross_border,
  publicDisclosure: row.public_disclosure,
});

export async function definePurpose(trx: TenantTransaction, purpose: Purpose): Promise<Purpose> {
  if (!PURPOSE_KEY.test(purpose.key)) throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `purpose key ${JSON.stringify(purpose.key)} is not dotted lower-case words`);
  const unknownRegimes = Object.keys(purpose.legalBasis).filter((regime) => !(regimes as readonly string[]).includes(regime));
  if (Object.keys(purpose.legalBasis).length === 0 || unknownRegimes.length > 0) {
    throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `legalBasis must name regimes among ${regimes.join(', ')}`);
  }
  // PIPL: sensitive data, named recipients and cross-border transfer need separate, opt-in consent.
  if ((purpose.sensitiveCategory || purpose.requiresNamedRecipient || purpose.crossBorder) && purpose.legalBasis.pipl === 'opt_out') {
    throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', 'under PIPL a purpose needing separate consent cannot be opt-out');
  }
  await trx
    .insertInto('consent_purposes')
    .values({
      tenant_id: trx.tenantId,
      key: purpose.key,
      name: purpose.name,
      mechanism: purpose.mechanism,
      legal_basis: JSON.stringify(purpose.legalBasis),
      retention_days: purpose.retentionDays,
      sensitive_category: purpose.sensitiveCategory,
      requires_named_recipient: purpose.requiresNamedRecipient,
      cross_border: purpose.crossBorder,
      public_disclosure: purpose.publicDisclosure,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .execute();
  const stored = await findPurpose(trx, purpose.key);
  if (JSON.stringify(normalise(stored!)) !== JSON.stringify(normalise(purpose))) {
    throw new ConsentError('ACCORD_ERR_CONSENT_INVALID', `purpose ${purpose.key} is already defined differently; define a new key`);
  }
  return stored!;
}

const normalise = (p: Purpose) => ({ ...p, legalBasis: Object.fromEntries(Object.entries(p.legalBasis).sort()) });

export async function listPurposes(trx: TenantTransaction): Promise<Purpose[]> {
  return (await trx.selectFrom('consent_purposes').selectAll().orderBy('key').execute()).map(toPurpose);
}

export async function findPurpose(trx: TenantTransaction, key: string): Promise<Purpose | undefined> {
  const row = await trx.selectFrom('consent_purposes').selectAll().where('key', '=', key).executeTakeFirst();
  return row && toPurpose(row);
}
