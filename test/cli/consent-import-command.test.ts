import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAccord } from '../support/accord-process.ts';

describe('accord consent import', () => {
  it('dry-runs a file, then stops a strict import at its bad row with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-cli-import-'));
    const env = { ACCORD_DATA_DIR: dir };
    expect((await runAccord(['tenants', 'create', 'acme'], env)).code).toBe(0);
    const file = join(dir, 'consents.csv');
    writeFileSync(file, 'subject,purpose,regime,kind,channel,source,collectedAt\r\nmember-1,marketing.sms,pipl,refused,app,crm,2024-05-01T10:00:00+08:00\r\n');

    const dry = await runAccord(['consent', 'import', file, '--tenant', 'acme', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^dry run [0-9a-f-]{36} \(nothing written\): 1 rows, 0 would be appended, 0 duplicates, 1 skipped, 0 conflicts, 0 change nothing\n/);
    expect(dry.stdout).toContain('a strict import would stop at row 2: unknown purpose marketing.sms\n');

    const real = await runAccord(['consent', 'import', file, '--tenant', 'acme'], env);
    expect(real.code).toBe(1);
    expect(real.stderr).toBe('accord: row 2, column 2 (purpose): unknown purpose marketing.sms; nothing was imported\n');

    const usage = await runAccord(['consent', 'import', join(dir, 'consents.txt')], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/^accord: give --format csv or ndjson for .*consents\.txt\n/);
  });
});
