/**
 * A node's configuration on a storage backend for CLI tests: PGlite in a fresh data folder, or a
 * throwaway Postgres database (the master key in the data folder either way), with tenant `acme`
 * holding 12 members in 上海 (u1..u12@example.com) and one in 北京 (x@example.com). The tenant's own
 * profiling runs under CCPA, where silence allows it: these tests are not about consent to it.
 * Commands run in-process with what they print captured.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { importCommand } from '../../cli/import-command.ts';
import { tenantsCommand } from '../../cli/tenants-command.ts';
import { loadConfig, type Config } from '../../core/config/config.ts';
import { createPostgresDatabase, type StorageBackend } from '../support/test-database.ts';

export interface CliFixture {
  readonly config: Config;
  /** The environment that points an `accord` process at the same node. */
  readonly env: Record<string, string>;
  readonly dir: string;
  file(name: string, content: string): string;
  /** Runs a command in-process: what it printed, or the error it stopped with. */
  run(command: (config: Config, args: string[]) => Promise<void>, args: string[]): Promise<{ out: string; error: (Error & { code?: string }) | undefined }>;
  dispose(): Promise<void>;
}

export async function openCliFixture(backend: StorageBackend): Promise<CliFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'accord-cli-'));
  const postgres = backend === 'postgres' ? await createPostgresDatabase() : undefined;
  const env: Record<string, string> = { ACCORD_DATA_DIR: dir, ...(postgres ? { DATABASE_URL: postgres.url } : {}) };
  const config = loadConfig(env);
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const run: CliFixture['run'] = async (command, args) => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void lines.push(parts.join(' ')));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await command(config, args);
      return { out: lines.join('\n'), error: undefined };
    } catch (error) {
      return { out: lines.join('\n'), error: error as Error & { code?: string } };
    } finally {
      log.mockRestore();
      progress.mockRestore();
    }
  };
  await run(tenantsCommand, ['create', 'acme', '--regime', 'ccpa']);
  const members = ['email,attr.city', ...Array.from({ length: 12 }, (_, i) => `u${i + 1}@example.com,上海`), 'x@example.com,北京'].join('\n');
  const imported = await run(importCommand, ['members', file('members.csv', `${members}\n`), '--tenant', 'acme']);
  if (imported.error) throw imported.error;
  return { config, env, dir, file, run, dispose: async () => postgres?.drop() };
}
