/**
 * The import-direction rules (.dependency-cruiser.cjs) run on a small tree of our layout, written
 * for the test: the path the old deny-lists let through (consent → a new shared/ folder → api) is
 * refused, as are connectors → consent and an import that does not resolve, while the allowed
 * directions (consent → crypto, core → consent, connectors → core) pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const files: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'layout-fixture', type: 'module' }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }),
  'crypto/hash.ts': 'export const hash = 1;\n',
  'consent/ledger.ts': "import { hash } from '../crypto/hash.ts';\nimport { wired } from '../shared/bridge.ts';\nexport const ledger = hash + wired;\n",
  'shared/bridge.ts': "import { app } from '../api/app.ts';\nexport const wired = app;\n",
  'api/app.ts': 'export const app = 1;\n',
  'connectors/platform.ts': "import { gate } from '../core/gate.ts';\nimport { ledger } from '../consent/ledger.ts';\nexport const platform = gate + ledger;\n",
  'core/gate.ts': "import { ledger } from '../consent/ledger.ts';\nimport { gone } from '../consent/gone.ts';\nexport const gate = ledger + gone;\n",
};

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

describe('import directions', () => {
  let root: string;
  let violations: string[];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'accord-layout-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const run = spawnSync(resolve('node_modules/.bin/depcruise'), ['--config', resolve('.dependency-cruiser.cjs'), '--output-type', 'json', '.'], { cwd: root, encoding: 'utf8' });
    const result = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
    violations = result.summary.violations.map((v) => `${v.from} → ${v.to}: ${v.rule.name}`).sort();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('refuses consent → shared → api, connectors → consent and an unresolvable import, and nothing else', () => {
    expect(violations).toEqual([
      'connectors/platform.ts → consent/ledger.ts: not-in-allowed',
      'consent/ledger.ts → shared/bridge.ts: not-in-allowed',
      'core/gate.ts → ../consent/gone.ts: not-to-unresolvable',
      'shared/bridge.ts → api/app.ts: not-in-allowed',
    ]);
  });
});
