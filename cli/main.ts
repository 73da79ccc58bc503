/**
 * `accord <command>`: start, worker, migrate, keys, tenants, demo. Known failures (bad config,
 * unreachable database or Redis, wrong master key) print one line and exit 1.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config/config.ts';
import { ConsentGate } from '../core/consent/consent-gate.ts';
import { consentCommand } from './consent-command.ts';
import { consentImportCommand } from './consent-import-command.ts';
import { demoCommand } from './demo-command.ts';
import { importCommand } from './import-command.ts';
import { keysCommand } from './keys-command.ts';
import { migrateCommand } from './migrate-command.ts';
import { psiCommand } from './psi-command.ts';
import { segmentsCommand } from './segments-command.ts';
import { startCommand } from './start-command.ts';
import { tagsCommand } from './tags-command.ts';
import { tenantsCommand } from './tenants-command.ts';
import { UsageError } from './usage-error.ts';

const usage = `usage: accord <command>

  start [--no-worker]          run the node: API on PORT (default 8080), jobs, console
  worker                       run jobs only (share the queue with other processes via REDIS_URL)
  migrate                      bring the database to the latest schema
  tenants create <slug> [--name N] [--regime pipl|gdpr|ccpa] | tenants regime <slug> <regime> | tenants list
                               workspaces; --regime: the regime the tenant's own profiling runs under (default pipl)
  keys create --scopes a,b [--tenant slug] [--name N] | keys list [--tenant slug] | keys revoke <id>
  consent verify [--tenant slug]  recompute the consent hash chain; exit 1 naming the first altered event
  consent import <file> [--dry-run] [--lenient] [--format csv|ndjson] [--encoding gb18030] [--time-zone Z] [--tenant slug]
                               import consent records; the same file again resumes or appends nothing
  consent verify --subject ref [--tenant slug]  check one person's records against the signed checkpoint
  import <members|orders|events> <file> [--lenient] [--format csv|ndjson] [--encoding gb18030] [--tenant slug]
                               ingest first-party data; the same file again resumes or changes nothing
  tags list | define | set | compute | person ... [--tenant slug] [--json]      (accord tags help)
  segments list | show | estimate | create | refresh | members | portrait ... [--tenant slug] [--json]  (accord segments help)
  psi keygen | approve | join ...  take part in a collaboration from a file, without a node  (accord psi help)
  demo [--members N]           two nodes: introduce them, record consents, ingest N generated members (default 100,000)

Configuration comes from the environment (see README): PORT, HOST, DATABASE_URL, REDIS_URL, ACCORD_DATA_DIR, ...`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(usage);
    return;
  }
  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { 'no-worker': { type: 'boolean' } } });
      return startCommand(loadConfig(), { api: true, worker: !values['no-worker'] });
    }
    case 'worker':
      parseArgs({ args: rest, options: {} });
      return startCommand(loadConfig(), { api: false, worker: true });
    case 'migrate':
      return migrateCommand(loadConfig());
    case 'keys':
      return keysCommand(loadConfig(), rest);
    case 'tenants':
      return tenantsCommand(loadConfig(), rest);
    case 'consent':
      if (rest[0] === 'import') return consentImportCommand(loadConfig(), rest.slice(1));
      return consentCommand(loadConfig(), rest);
    case 'import':
      return importCommand(loadConfig(), rest);
    case 'tags':
      return tagsCommand(loadConfig(), new ConsentGate(), rest);
    case 'segments':
      return segmentsCommand(loadConfig(), new ConsentGate(), rest);
    case 'psi':
      return psiCommand(rest);
    case 'demo':
      return demoCommand(rest);
    default:
      throw new UsageError(`unknown command "${command}"\n\n${usage}`);
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  const err = error as Error & { code?: string };
  // Errors we raise on purpose (codes ACCORD_ERR_*, usage, argument parsing) are one line for the operator.
  const expected = err instanceof UsageError || err.code?.startsWith('ACCORD_ERR_') || err.code?.startsWith('ERR_PARSE_ARGS');
  console.error(`accord: ${expected ? err.message : err.stack}`);
  process.exit(1);
}
