import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAccord } from '../support/accord-process.ts';

describe('accord import', () => {
  it('ingests a members file leniently with a progress line, then does nothing for the same file, and stops a strict run in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-cli-ingest-'));
    const env = { ACCORD_DATA_DIR: dir };
    expect((await runAccord(['tenants', 'create', 'acme'], env)).code).toBe(0);
    const file = join(dir, 'members.csv');
    writeFileSync(file, 'email,phone,attr.city\r\na@example.com,13800138000,上海\r\nnot-an-email,13800138001,北京\r\n');

    const lenient = await runAccord(['import', 'members', file, '--tenant', 'acme', '--lenient'], env);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/^members run [0-9a-f-]{36} completed: 2 rows, 1 applied, 1 rejected, 1 persons created, 0 merged\nreport: GET \/v1\/ingest\/runs\/[0-9a-f-]{36}\/issues\?format=csv\n$/);
    expect(lenient.stderr).toMatch(/^members: 100\.0% of \d+ bytes, row 3, 1 applied, 1 rejected, \d+ rows\/s\n$/);
    const again = await runAccord(['import', 'members', file, '--tenant', 'acme', '--lenient'], env);
    expect(again.stdout.split('\n')[0]).toBe(lenient.stdout.split('\n')[0]);

    const strictFile = join(dir, 'strict.csv');
    writeFileSync(strictFile, 'email\nnope\n');
    const strict = await runAccord(['import', 'members', strictFile, '--tenant', 'acme'], env);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe('accord: row 2, column 1 (email): The email address needs exactly one @; nothing was ingested\n');

    const usage = await runAccord(['import', 'people', file], env);
    expect(usage.stderr).toMatch(/^accord: unknown kind "people"/);
  });
});
