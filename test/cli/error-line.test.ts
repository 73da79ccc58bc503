/** The one line `accord` prints for a failure, from failures produced for real where a test can produce them. */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { errorLine } from '../../cli/error-line.ts';
import { UsageError } from '../../cli/usage-error.ts';
import { AccordError } from '../../core/errors.ts';
import { networkFailureReason } from '../../core/peers/network-failure-reason.ts';
import { PeerError } from '../../core/peers/peer-errors.ts';
import { closedPort, startSilentServer } from '../support/network-failures.ts';

const failureOf = (work: () => unknown): Promise<unknown> => Promise.resolve().then(work).then(() => expect.unreachable('it should have failed'), (error: unknown) => error);

const undiciFailure = (code: string, message: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

describe('networkFailureReason', () => {
  it('names the address that refused, stayed silent or hung up', async () => {
    const port = await closedPort();
    const url = new URL(`http://127.0.0.1:${port}/x`);
    const refused = await failureOf(() => fetch(url));
    expect(networkFailureReason(refused, url)).toBe(`the connection was refused (nothing listens on 127.0.0.1:${port})`);
    // Without the URL, the address comes from the failure itself.
    expect(networkFailureReason(refused)).toBe(`the connection was refused (nothing listens on 127.0.0.1:${port})`);

    const silent = await startSilentServer();
    try {
      const silentUrl = new URL(`http://127.0.0.1:${silent.port}/x`);
      const timedOut = await failureOf(() => fetch(silentUrl, { signal: AbortSignal.timeout(200) }));
      expect(networkFailureReason(timedOut, silentUrl, 200)).toBe('no answer within 0.2 s');
    } finally {
      await silent.close();
    }

    const hangUp = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
    await once(hangUp, 'listening');
    try {
      const hangUpUrl = new URL(`http://127.0.0.1:${(hangUp.address() as AddressInfo).port}/x`);
      expect(networkFailureReason(await failureOf(() => fetch(hangUpUrl)), hangUpUrl)).toBe(`${hangUpUrl.host} closed the connection before it answered`);
    } finally {
      hangUp.close();
    }
  });

  it('says what undici keeps in the cause', () => {
    const url = new URL('https://brand.example/v1');
    expect(networkFailureReason(undiciFailure('ENOTFOUND', 'getaddrinfo ENOTFOUND brand.example'), url)).toBe('the host name brand.example is not known (DNS)');
    expect(networkFailureReason(undiciFailure('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error'), url)).toBe('brand.example:443 accepted the connection but sent no answer');
    expect(networkFailureReason(undiciFailure('ECONNRESET', 'read ECONNRESET'), url)).toBe('brand.example:443 closed the connection before it answered');
    expect(networkFailureReason(undiciFailure('CERT_HAS_EXPIRED', 'certificate has expired'), url)).toBe('the TLS certificate of brand.example was not accepted (CERT_HAS_EXPIRED)');
    expect(networkFailureReason(undiciFailure('EWHATEVER', 'something new'), url)).toBe('something new (EWHATEVER)');
  });
});

describe('errorLine', () => {
  it('keeps the sentence of an error raised on purpose, adding what to try where the sentence does not say', () => {
    expect(errorLine(new AccordError('ACCORD_ERR_NOT_FOUND', 'tag not found'))).toBe('accord: tag not found');
    expect(errorLine(new UsageError('no tenant "x"'))).toBe('accord: no tenant "x"');
    expect(errorLine(new PeerError('ACCORD_ERR_PEER_UNREACHABLE', 'GET http://127.0.0.1:9/x failed: no answer within 30 s'))).toBe(
      'accord: GET http://127.0.0.1:9/x failed: no answer within 30 s. Check the address, and that the node runs and is reachable from here.',
    );
  });

  it("points a mistyped option at the command's --help", async () => {
    const error = await failureOf(() => parseArgs({ args: ['--frob'], options: { tenant: { type: 'string' } } }));
    expect(errorLine(error, 'keys create')).toBe("accord: Unknown option '--frob'. accord keys create --help shows the usage.");
  });

  it('puts a fetch nobody wrapped, a refused file and a taken port in words', async () => {
    const port = await closedPort();
    expect(errorLine(await failureOf(() => fetch(`http://127.0.0.1:${port}/`)))).toBe(
      `accord: an HTTP request failed: the connection was refused (nothing listens on 127.0.0.1:${port}). Check the address, and that the node runs and is reachable from here.`,
    );

    const dir = mkdtempSync(join(tmpdir(), 'accord-error-line-'));
    expect(errorLine(await failureOf(() => readFile(join(dir, 'users.csv'))))).toBe(`accord: cannot open ${join(dir, 'users.csv')}: there is no such file (ENOENT)`);
    writeFileSync(join(dir, 'file'), '');
    expect(errorLine(await failureOf(() => mkdir(join(dir, 'file', 'out'))))).toBe(`accord: cannot create the folder ${join(dir, 'file', 'out')}: a part of its path is not a folder (ENOTDIR)`);

    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const second = createServer().listen((taken.address() as AddressInfo).port, '127.0.0.1');
      const [error] = await once(second, 'error');
      expect(errorLine(error)).toBe(`accord: cannot listen on 127.0.0.1:${(taken.address() as AddressInfo).port}: another process uses this port (EADDRINUSE). Set HOST and PORT to a free address.`);
    } finally {
      taken.close();
    }
  });

  it('shows anything else as it came, with the command it stopped and where to find the stack', () => {
    expect(errorLine(new TypeError("Cannot read properties of undefined (reading 'id')"), 'segments show')).toBe(
      "accord: segments show stopped: TypeError: Cannot read properties of undefined (reading 'id') (run it again with --verbose for the stack)",
    );
    expect(errorLine(new Error('PSI run 1 failed: boom'), 'demo')).toBe('accord: demo stopped: PSI run 1 failed: boom (run it again with --verbose for the stack)');
    expect(errorLine(new SyntaxError('Unexpected token\n  at position 3'))).toBe('accord: the command stopped: SyntaxError: Unexpected token at position 3 (run it again with --verbose for the stack)');
  });
});
