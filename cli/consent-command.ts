/** `accord consent verify [--tenant slug]`: recompute the tenant's consent hash chain; exit 1 naming the first bad record. */
import { parseArgs } from 'node:util';
import type { Config } from '../core/config/config.ts';
import { DEFAULT_TENANT } from '../api/start-node.ts';
import { verifyConsentLog } from '../core/consent/verify-consent-log.ts';
import { withTenant } from '../core/db/tenant-scope.ts';
import { findTenant } from '../core/tenancy/tenants.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

export class ConsentLogAlteredError extends Error {
  readonly code = 'ACCORD_ERR_CONSENT_LOG_ALTERED';
}

export async function consentCommand(config: Config, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { tenant: { type: 'string', default: DEFAULT_TENANT } } });
  if (positionals[0] !== 'verify' || positionals.length !== 1) throw new UsageError('usage: accord consent verify [--tenant slug]');
  await withDatabase(config, async (db) => {
    const tenant = await findTenant(db, values.tenant);
    if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
    // Checkpoints are checked against the node's public key; no master key is needed to verify.
    const node = await db.selectFrom('node').select('public_key').executeTakeFirst();
    const result = await withTenant(db, tenant.id, (trx) => verifyConsentLog(trx, node?.public_key));
    if (!result.ok) {
      throw new ConsentLogAlteredError(`consent log of ${tenant.slug} FAILS at event ${result.firstBad!.seq}: ${result.firstBad!.problem} (${result.eventsChecked} events before it verify)`);
    }
    const checkpoints = result.checkpointsChecked === undefined ? '' : `, ${result.checkpointsChecked} signed checkpoints match`;
    console.log(`consent log of ${tenant.slug}: ${result.eventsChecked} events verify${checkpoints}`);
  });
}
