import { parseArgs } from 'node:util';
import type { Config } from '../core/config/config.ts';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../core/tenancy/api-keys.ts';
import { ensureTenant, findTenant } from '../core/tenancy/tenants.ts';
import { usageText } from './command-usages.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

export async function keysCommand(config: Config, args: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { tenant: { type: 'string', default: DEFAULT_TENANT }, name: { type: 'string' }, scopes: { type: 'string' } },
  });
  const [action, id] = positionals;
  await withDatabase(config, async (db) => {
    const tenantOf = async () => {
      // The default tenant exists from a node's first start; make it here too so keys can be made first.
      const tenant = values.tenant === DEFAULT_TENANT ? await ensureTenant(db, DEFAULT_TENANT, config.partyName) : await findTenant(db, values.tenant);
      if (!tenant) throw new UsageError(`no tenant "${values.tenant}" (accord tenants create ${values.tenant})`);
      return tenant;
    };
    if (action === 'create') {
      if (!values.scopes) throw new UsageError(usageText('keys create'));
      const tenant = await tenantOf();
      const key = await createApiKey(db, {
        tenantId: tenant.id,
        name: values.name ?? 'cli',
        scopes: values.scopes.split(',').map((s) => s.trim()).filter(Boolean),
      });
      console.error(`created key ${key.id} for tenant ${tenant.slug}; it is shown once:`);
      console.log(key.token);
    } else if (action === 'list') {
      const tenant = await tenantOf();
      for (const key of await listApiKeys(db, tenant.id)) {
        console.log(`${key.id}\t${key.name}\t${key.scopes.join(',')}\t${key.revoked_at ? 'revoked' : 'active'}`);
      }
    } else if (action === 'revoke' && id) {
      if (!(await revokeApiKey(db, id))) throw new UsageError(`no active key ${id}`);
      console.log(`revoked ${id}`);
    } else {
      throw new UsageError(usageText('keys'));
    }
  });
}
