import { parseArgs } from 'node:util';
import type { Config } from '../core/config/config.ts';
import { ensureTenant, listTenants } from '../core/tenancy/tenants.ts';
import { usageText } from './command-usages.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

export async function tenantsCommand(config: Config, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' } } });
  const [action, slug] = positionals;
  await withDatabase(config, async (db) => {
    if (action === 'create' && slug) {
      const tenant = await ensureTenant(db, slug, values.name ?? slug);
      console.log(`${tenant.slug}\t${tenant.id}\t${tenant.name}`);
    } else if (action === 'list') {
      for (const tenant of await listTenants(db)) console.log(`${tenant.slug}\t${tenant.id}\t${tenant.name}`);
    } else {
      throw new UsageError(usageText('tenants'));
    }
  });
}
