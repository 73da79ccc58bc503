/**
 * `accord import <members|orders|events> <file> [--tenant slug] [--lenient] [--format csv|ndjson]
 * [--encoding utf-8|gb18030]`: ingests a first-party data file straight into the configured
 * database, as the API does, with a progress line on stderr (rows/s, percent of bytes read).
 * Running it again with the same file resumes a run that stopped and changes nothing for one that
 * completed.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../core/tenancy/tenants.ts';
import type { Config } from '../core/config/config.ts';
import type { TextEncoding } from '../core/files/text-file.ts';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import { resolveMasterKey } from '../core/identity/master-key.ts';
import { ingestKinds, type IngestKind } from '../core/ingest/ingest-columns.ts';
import { ingestFile } from '../core/ingest/ingest-file.ts';
import { findTenant } from '../core/tenancy/tenants.ts';
import { usageText } from './command-usages.ts';
import { fileOptionsOf } from './file-options.ts';
import { UsageError } from './usage-error.ts';
import { withDatabase } from './with-database.ts';

/** At most one progress line per this many milliseconds. */
const PROGRESS_EVERY_MS = 1_000;

export async function importCommand(config: Config, args: string[]): Promise<void> {
  const usage = usageText('import');
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      lenient: { type: 'boolean', default: false },
      format: { type: 'string' },
      encoding: { type: 'string' },
      tenant: { type: 'string', default: DEFAULT_TENANT },
    },
  });
  const [kind, file, ...extra] = positionals;
  if (!kind || !file || extra.length > 0) throw new UsageError(usage);
  if (!(ingestKinds as readonly string[]).includes(kind)) throw new UsageError(`unknown kind "${kind}"\n${usage}`);
  const { format, encoding } = fileOptionsOf(file, values, usage);

  await withDatabase(config, async (db) => {
    const tenant = await findTenant(db, values.tenant);
    if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
    const keys = new IdentifierKeys(resolveMasterKey(config));
    const started = performance.now();
    let percent = 0;
    let lastLine = Number.NEGATIVE_INFINITY;
    const result = await ingestFile(db, keys, tenant.id, kind as IngestKind, file, {
      format,
      encoding: encoding as TextEncoding | undefined,
      mode: values.lenient ? 'lenient' : 'strict',
      actor: 'cli',
      onBytes: (read, total) => {
        percent = total === 0 ? 100 : (100 * read) / total;
      },
      onChunk: (run) => {
        const now = performance.now();
        if (now - lastLine < PROGRESS_EVERY_MS) return;
        lastLine = now;
        const rate = Math.round(run.rowsRead / ((now - started) / 1_000));
        process.stderr.write(`${kind}: ${percent.toFixed(1)}% of ${run.bytes} bytes, row ${run.lastCommittedRow}, ${run.applied} applied, ${run.rejected} rejected, ${rate} rows/s\n`);
      },
    });
    console.log(
      `${kind} run ${result.id} ${result.status}: ${result.rowsRead} rows, ${result.applied} applied, ${result.rejected} rejected, ${result.personsCreated} persons created, ${result.personsMerged} merged`,
    );
    if (result.rejected > 0) console.log(`report: GET /v1/ingest/runs/${result.id}/issues?format=csv`);
  });
}
