/**
 * `accord psi join` when the brand node is not there to answer: one line naming the URL and why,
 * exit 1, and the stack only when asked for (`--verbose`, LOG_LEVEL=debug).
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPartyKeyFile } from '../../core/psi/party-key-file.ts';
import { runAccord } from '../support/accord-process.ts';
import { closedPort, startSilentServer } from '../support/network-failures.ts';

const collaboration = randomUUID();
const tryNext = 'Check the address, and that the node runs and is reachable from here.';

describe('accord psi join against a brand node that does not answer', () => {
  let dir: string;
  const join_ = (server: string, ...rest: string[]) => ['psi', 'join', '--server', server, '--collaboration', collaboration, '--key', join(dir, 'partner.key'), '--input', join(dir, 'users.csv'), '--id-type', 'phone', ...rest];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'accord-psi-errors-'));
    await createPartyKeyFile(join(dir, 'partner.key'), 'Partner');
    writeFileSync(join(dir, 'users.csv'), 'phone\n13800138000\n');
  });

  it('where nothing listens: one line, exit 1, no stack; with --verbose or LOG_LEVEL=debug, the stack too', async () => {
    const port = await closedPort();
    const line = `accord: cannot read the node's identity at http://127.0.0.1:${port}/.well-known/accord-node: the connection was refused (nothing listens on 127.0.0.1:${port}). ${tryNext}\n`;
    expect(await runAccord(join_(`http://127.0.0.1:${port}`))).toEqual({ code: 1, stdout: '', stderr: line });

    for (const [args, env] of [[['--verbose', ...join_(`http://127.0.0.1:${port}`)], {}], [join_(`http://127.0.0.1:${port}`), { LOG_LEVEL: 'debug' }]] as const) {
      const verbose = await runAccord([...args], env);
      expect(verbose.code).toBe(1);
      expect(verbose.stderr.startsWith(line)).toBe(true);
      expect(verbose.stderr).toMatch(/\n {4}at serverNodeAt \(/);
      expect(verbose.stderr).toMatch(/\[cause\]: TypeError: fetch failed/);
    }
  });

  it('that takes the connection and never answers: gives up after --timeout, in one line', async () => {
    const silent = await startSilentServer();
    try {
      const result = await runAccord(join_(`http://127.0.0.1:${silent.port}`, '--timeout', '1'));
      expect(result).toEqual({ code: 1, stdout: '', stderr: `accord: cannot read the node's identity at http://127.0.0.1:${silent.port}/.well-known/accord-node: no answer within 1 s. ${tryNext}\n` });
    } finally {
      await silent.close();
    }
  });

  it('that shows its identity, then never answers a signed call: names the call that timed out', async () => {
    const card = JSON.stringify({ nodeId: randomUUID(), publicKey: Buffer.alloc(32, 7).toString('base64') });
    const server = createServer((request, response) => {
      if (request.url === '/.well-known/accord-node') response.writeHead(200, { 'content-type': 'application/json' }).end(card);
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await runAccord(join_(base, '--timeout', '1'));
      expect(result).toEqual({ code: 1, stdout: '', stderr: `accord: GET ${base}/v1/node/collaborations/${collaboration} failed: no answer within 1 s. ${tryNext}\n` });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses a --timeout that is not whole seconds', async () => {
    const result = await runAccord(join_('http://127.0.0.1:8080', '--timeout', '0.5'));
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'accord: --timeout takes whole seconds from 1 to 3600\n' });
  });
});
