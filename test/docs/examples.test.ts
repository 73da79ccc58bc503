/**
 * Every code block of README.md and docs/ runs here, so a newcomer who copies one succeeds: `curl`
 * against one shared node, `accord` commands in-process on that node's database, request bodies and
 * files tied to their route or command by an `<!-- example: … -->` comment, TypeScript type-checked.
 * A block that cannot run says why in an `<!-- illustrative: reason -->` comment; a command that is
 * not run is in NOT_RUN below with the reason. An unmarked block that is neither fails.
 *
 * The node (with a partner node beside it) starts with what the examples refer to but do not make
 * themselves, and shell variables and `<placeholders>` get their values, in example-setup.ts; there
 * too, captures bind a variable to what a documented request returned (`$ID` after
 * `POST /v1/collaborations`). What a page binds stays in that page. Markers: see README "Tests".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../core/config/config.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { docExampleFiles, docTsExamples, repoRoot, runDocExamples, type DocNode } from '../support/doc-examples.ts';
import { typeCheckExamples } from '../support/typecheck-doc-blocks.ts';
import { startCollaborationNode, type CollaborationNode } from '../api/collaboration-nodes.ts';
import { startTestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { SETUP, type Setup } from './example-setup.ts';

const shared = vi.hoisted(() => ({ db: undefined as unknown }));
// `accord` commands run on the shared node's database instead of opening the configured one.
vi.mock('../../cli/with-database.ts', () => ({
  withDatabase: (_config: unknown, work: (db: unknown, applied: string[]) => Promise<unknown>) => work(shared.db, []),
}));

/** Commands the docs show that this test does not run, and why. */
export const NOT_RUN: readonly (readonly [RegExp, string])[] = [
  [/^npm (ci|test)\b/, 'installs the dependencies or runs the whole suite: the test itself is that suite'],
  [/^npm start\b/, 'starts a long-running node: this test is such a node'],
  [/^npm run build:console\b/, "builds the console; the browser tests (test/console/console-browser.ts) build it with the same Vite config first"],
  [/^npm run bench\b/, 'long-running benchmarks; `npm run bench -- psi --smoke` is their own check'],
  [/^accord psi join\b/, "a whole PSI run with the brand node's job runner; test/cli/psi-command.test.ts runs it"],
  [/\/v1\/psi\/runs\/\$RUN\/matches\b/, 'needs a completed run, which needs the job runners of both nodes: test/api/psi-run.test.ts reads matches'],
];

describe.each(storageBackends)('docs examples on %s', (backend) => {
  let t: TestDatabase;
  let node: DocNode;
  let setup: Setup;
  let partner: CollaborationNode;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    shared.db = t.db;
    const dir = mkdtempSync(join(tmpdir(), 'accord-docs-'));
    const config = loadConfig({ ACCORD_DATA_DIR: dir, ACCORD_MASTER_KEY: Buffer.alloc(32, 3).toString('base64') });
    const gate = new ConsentGate();
    const api = await startTestApp(t, { gate });
    // Listening, for the commands and the partner node that call it over HTTP.
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    partner = await startCollaborationNode(backend, 'Partner');
    node = { t, app: api.app, identity: api.identity, config, gate, dir, others: new Map([[partner.url, partner.app]]) };
    setup = await SETUP(node, api, partner);
  });
  afterAll(async () => {
    await node?.app.close();
    await partner?.close();
    await t?.dispose();
  });

  it.each(docExampleFiles())('%s', async (file) => {
    expect(await runDocExamples(file, node, setup, NOT_RUN)).toEqual([]);
  });

  it('fails an example that a newcomer could not run, and a block that is neither run nor explained', async () => {
    const fence = '```';
    const broken: [string, RegExp][] = [
      [`${fence}json\n{"a": 1}\n${fence}`, /neither <!-- example/],
      [`<!-- illustrative: -->\n${fence}\nx\n${fence}`, /needs its reason/],
      [`${fence}sh\ncurl $NODE/v1/no-such-thing -H "authorization: Bearer $KEY"\n${fence}`, /no such route/],
      [`${fence}sh\ncurl -X POST $NODE/v1/tags -H "authorization: Bearer $KEY" -H 'content-type: application/json' -d '{"key": "x"}'\n${fence}`, /expected 2xx: POST \/v1\/tags → 4\d\d/],
      // curl sends a form without a content type, as the real one does
      [`${fence}sh\ncurl -X POST $NODE/v1/consent/checkpoints/schedule -H "authorization: Bearer $KEY" -d '{"everySeconds": 300}'\n${fence}`, /expected 2xx/],
      [`${fence}sh\ncurl $NODE/health     # {"status": "ok", "uptime": 1}\n${fence}`, /lacks uptime/],
      [`${fence}sh\ncurl $NODE/health     # 201 {"status": "ok"}\n${fence}`, /expected 201/],
      [`${fence}sh\ncurl $NODE/v1/peers/$NOWHERE -H "authorization: Bearer $KEY"\n${fence}`, /\$NOWHERE not bound/],
      [`${fence}sh\ncurl $NODE/v1/peers/<peer> -H "authorization: Bearer $KEY"\n${fence}`, /placeholder <peer> not bound/],
      [`${fence}sh\nwget http://127.0.0.1:8080/health\n${fence}`, /neither curl nor accord/],
      [`${fence}sh\naccord tags list --tenant nobody\n${fence}`, /no tenant "nobody"/],
      [`<!-- example: POST /v1/consent/purposes -->\n${fence}json\n{"key": "x"}\n${fence}`, /expected 2xx: POST \/v1\/consent\/purposes → 4\d\d/],
      [`${fence}http\nPOST /v1/consent/signal-mappings\n{ "entries": [ { "purpose": "nothing.here" } ] }\n${fence}`, /expected 2xx/],
      [`<!-- example: accord import members --tenant acme -->\n${fence}csv\nemail,nonsense\na@example.com,1\n${fence}`, /accord import members .* failed/],
      [`<!-- example: accord import members --tenant acme --lenient -->\n${fence}csv\nemail\nnot-an-email\n${fence}`, /left rows out/],
      [`<!-- example: POST /v1/ingest/members/files?mode=lenient -->\n${fence}csv\nemail\nnot-an-email\n${fence}`, /rows rejected/],
    ];
    for (const [markdown, failure] of broken) {
      const failures = await runDocExamples('broken.md', node, setup, NOT_RUN, markdown);
      expect(failures.join('\n'), markdown).toMatch(failure);
    }
    const skipped = await runDocExamples('skipped.md', node, setup, NOT_RUN, `${fence}sh\nnpm start\n${fence}`);
    expect(skipped).toEqual([]);
  });
});

describe('TypeScript examples in the docs', () => {
  it('type-check with the project tsconfig', () => {
    expect(typeCheckExamples(repoRoot, docTsExamples())).toEqual([]);
  });
});
