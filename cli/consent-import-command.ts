/**
 * `accord consent import <file> [--dry-run] [--lenient] [--format csv|ndjson] [--encoding gb18030]
 * [--time-zone Asia/Shanghai] [--tenant slug]`: imports consent records straight into the
 * configured database, as the API does. Running it again with the same file resumes an import
 * that stopped, and appends nothing for one that finished.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import type { Config } from '../core/config/config.ts';
import { importConsentRecords } from '../core/consent/import/import-consent-records.ts';
import type { TextEncoding } from '../core/files/text-file.ts';
import { findTenant } from '../core/tenancy/tenants.ts';
import { usageText } from './command-usages.ts';
import { fileOptionsOf } from './file-options.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

export async function consentImportCommand(config: Config, args: string[]): Promise<void> {
  const usage = usageText('consent import');
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      lenient: { type: 'boolean', default: false },
      format: { type: 'string' },
      encoding: { type: 'string' },
      'time-zone': { type: 'string' },
      tenant: { type: 'string', default: DEFAULT_TENANT },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new UsageError(usage);
  const { format, encoding } = fileOptionsOf(file, values, usage);

  await withDatabase(config, async (db) => {
    const tenant = await findTenant(db, values.tenant);
    if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
    const result = await importConsentRecords(db, tenant.id, file, {
      format,
      encoding: encoding as TextEncoding | undefined,
      timeZone: values['time-zone'],
      mode: values.lenient ? 'lenient' : 'strict',
      dryRun: values['dry-run'],
      actor: 'cli',
      onChunk: (progress) => process.stderr.write(`row ${progress.lastCommittedRow}: ${progress.appended} appended\n`),
    });
    const what = result.dryRun ? `dry run ${result.id} (nothing written)` : `import ${result.id}`;
    const appended = result.dryRun ? 'would be appended' : 'appended';
    console.log(
      `${what}: ${result.rowsRead} rows, ${result.appended} ${appended}, ${result.duplicates} duplicates, ${result.skipped} skipped, ${result.conflicts} conflicts, ${result.unchanged} change nothing`,
    );
    if (result.error) console.log(`${result.dryRun ? 'a strict import would stop at' : 'stopped at'} row ${result.error.row}: ${result.error.detail}`);
    if (result.skipped + result.conflicts + result.unchanged > 0) console.log(`report: GET /v1/consent/imports/${result.id}/issues?format=csv`);
  });
}
