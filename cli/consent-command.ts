/**
 * `accord consent verify [--tenant slug] [--subject ref]`: recompute the tenant's consent hash chain and
 * signed checkpoints, or only one person's records against them; exit 1 naming the first bad record.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../core/config/config.ts';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import { verifyConsentLog } from '../core/consent/verify-consent-log.ts';
import { verifySubjectConsent } from '../core/consent/verify-subject-consent.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { findTenant } from '../core/tenancy/tenants.ts';
import { usageText } from './command-usages.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

export class ConsentLogAlteredError extends Error {
  readonly code = 'ACCORD_ERR_CONSENT_LOG_ALTERED';
}

export async function consentCommand(config: Config, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { tenant: { type: 'string', default: DEFAULT_TENANT }, subject: { type: 'string' } } });
  if (positionals[0] !== 'verify' || positionals.length !== 1) throw new UsageError(usageText('consent verify'));
  await withDatabase(config, async (db) => {
    const tenant = await findTenant(db, values.tenant);
    if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
    // Checkpoints are checked against the node's public key; no master key is needed to verify.
    const node = await db.selectFrom('node').select('public_key').executeTakeFirst();
    const { subject } = values;
    if (subject !== undefined) {
      const result = await withTenant(db, tenant.id, (trx) => verifySubjectConsent(trx, subject, node?.public_key));
      const whose = `consent records of ${JSON.stringify(subject)} in ${tenant.slug}`;
      if (!result.ok) {
        throw new ConsentLogAlteredError(`${whose} FAIL at event ${result.firstBad!.seq}: ${result.firstBad!.problem} (${result.eventsChecked} of their events before it verify)`);
      }
      const after = result.unsealed ? `, except ${result.unsealed} logged after it (chain only)` : '';
      const proof = result.checkpointSize === undefined ? ' by the chain only (no signed checkpoint yet)' : `, proven by the signed checkpoint at ${result.checkpointSize} events${after}`;
      console.log(`${whose}: ${result.eventsChecked} events verify${proof}`);
      return;
    }
    const result = await withTenant(db, tenant.id, (trx) => verifyConsentLog(trx, node?.public_key));
    if (!result.ok) {
      throw new ConsentLogAlteredError(`consent log of ${tenant.slug} FAILS at event ${result.firstBad!.seq}: ${result.firstBad!.problem} (${result.eventsChecked} events before it verify)`);
    }
    const checkpoints = result.checkpointsChecked === undefined ? '' : `, ${result.checkpointsChecked} signed checkpoints match`;
    console.log(`consent log of ${tenant.slug}: ${result.eventsChecked} events verify${checkpoints}`);
  });
}
