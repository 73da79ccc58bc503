import { parseArgs } from 'node:util';
import { regimes, type Regime } from '../consent/consent-event.ts';
import type { Config } from '../core/config/config.ts';
import { setFirstPartyRegime } from '../core/tenancy/first-party-regime.ts';
import { ensureTenant, findTenant, listTenants } from '../core/tenancy/tenants.ts';
import { usageText } from './command-usages.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

function regimeOf(text: string | undefined): Regime | undefined {
  if (text === undefined) return undefined;
  if (!(regimes as readonly string[]).includes(text)) throw new UsageError(`regime "${text}" is one of ${regimes.join(', ')}\n${usageText('tenants')}`);
  return text as Regime;
}

export async function tenantsCommand(config: Config, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, regime: { type: 'string' } } });
  const [action, slug, regimeArg] = positionals;
  const regime = regimeOf(action === 'regime' ? regimeArg : values.regime);
  if (!((action === 'create' && slug) || (action === 'regime' && slug && regime) || action === 'list')) throw new UsageError(usageText('tenants'));
  await withDatabase(config, async (db) => {
    if (action === 'list') {
      for (const tenant of await listTenants(db)) console.log(`${tenant.slug}\t${tenant.id}\t${tenant.name}`);
      return;
    }
    const tenant = action === 'create' ? await ensureTenant(db, slug!, values.name ?? slug!) : await findTenant(db, slug!);
    if (!tenant) throw new UsageError(`no tenant "${slug}"`);
    if (regime) await setFirstPartyRegime(db, tenant.id, regime, 'cli');
    console.log(action === 'create' ? `${tenant.slug}\t${tenant.id}\t${tenant.name}` : `${tenant.slug}\tfirst-party regime ${regime}`);
  });
}
