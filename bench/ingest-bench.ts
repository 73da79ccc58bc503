/**
 * `ingest`: member rows ingested per second through the real pipeline (streamed CSV, identifier
 * normalisation, suppression check, sealing and keyed hashing, one-ID resolution, attributes), on
 * a throwaway database. Each generated row has an email, a mainland mobile and two attributes;
 * every 10th row repeats the phone of the row before it, so one-ID sees shared identifiers too.
 * Reports rows/s, total seconds and the peak RSS of the process.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { finished } from 'node:stream/promises';
import { IdentifierKeys } from '../core/identifiers/identifier-keys.ts';
import { ingestFile } from '../core/ingest/ingest-file.ts';
import { ensureTenant } from '../core/tenancy/tenants.ts';
import { flag, intOption, type Benchmark } from './benchmark.ts';
import { formatTable, num } from './report.ts';
import { withThrowawayDatabase } from './throwaway-database.ts';

const cities = ['上海', '北京', '广州', '深圳', '杭州', '成都'];
const levels = ['bronze', 'silver', 'gold'];

export async function writeMembers(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('email,phone,attr.city,attr.level\n');
  for (let i = 0; i < rows; i++) {
    const phone = 13_800_000_000 + (i % 10 === 9 ? i - 1 : i);
    const line = `member${i}@example.com,${phone},${cities[i % cities.length]},${levels[i % levels.length]}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  describe: 'member rows (email + phone + 2 attributes) ingested per second from a CSV file (--rows, default 1,000,000)',
  options: { rows: { type: 'string' }, smoke: { type: 'boolean' } },
  async run(options, progress) {
    const rows = intOption(options, 'rows', flag(options, 'smoke') ? 5_000 : 1_000_000);
    const dir = await mkdtemp(join(tmpdir(), 'accord-ingest-bench-'));
    try {
      const path = join(dir, 'members.csv');
      progress(`writing ${rows.toLocaleString('en')} member rows`);
      await writeMembers(path, rows);
      return await withThrowawayDatabase(async ({ db, target }) => {
        const tenant = await ensureTenant(db, 'bench');
        const keys = new IdentifierKeys(new Uint8Array(32).fill(9));
        progress(`ingesting on ${target.kind}`);
        const started = performance.now();
        let reported = started;
        const run = await ingestFile(db, keys, tenant.id, 'members', path, {
          format: 'csv',
          actor: 'bench',
          onChunk: (r) => {
            const now = performance.now();
            if (now - reported < 5_000) return;
            reported = now;
            progress(`${r.rowsRead.toLocaleString('en')} rows, ${num(r.rowsRead / ((now - started) / 1000), 0)} rows/s`);
          },
        });
        const seconds = (performance.now() - started) / 1000;
        if (run.status !== 'completed' || run.applied !== rows) throw new Error(`ingest did not apply every row: ${JSON.stringify(run)}`);
        const peakRssMb = process.resourceUsage().maxRSS / 1024;
        const rowsPerSecond = rows / seconds;
        console.log(
          formatTable(
            ['database', 'rows', 'persons', 'seconds', 'rows/s', 'peak RSS MB'],
            [[target.kind, rows.toLocaleString('en'), run.personsCreated.toLocaleString('en'), num(seconds, 1), num(rowsPerSecond, 0), num(peakRssMb, 0)]],
          ),
        );
        return { database: target.kind, rows, personsCreated: run.personsCreated, seconds: Number(seconds.toFixed(2)), rowsPerSecond: Math.round(rowsPerSecond), peakRssMb: Math.round(peakRssMb) };
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
