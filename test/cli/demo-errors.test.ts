/** How the demo fails: a node that does not answer or refuses is one line naming it, without running the demo. */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { demoApi } from '../../cli/demo/demo-node.ts';
import { errorLine } from '../../cli/error-line.ts';
import { runAccord } from '../support/accord-process.ts';
import { closedPort } from '../support/network-failures.ts';

describe('accord demo failing', () => {
  it('says which node did not answer, to what request, and why', async () => {
    const port = await closedPort();
    const error = await demoApi('Brand (demo)', `http://127.0.0.1:${port}`, 'token').call('GET', '/v1/peers').catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'ACCORD_ERR_PEER_UNREACHABLE' });
    expect(errorLine(error, 'demo')).toBe(
      `accord: Brand (demo): GET http://127.0.0.1:${port}/v1/peers failed: the connection was refused (nothing listens on 127.0.0.1:${port}). Check the address, and that the node runs and is reachable from here.`,
    );
  });

  it('says which node refused, with its answer', async () => {
    const server = createServer((_request, response) => response.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"ACCORD_ERR_NOT_READY"}')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const api = demoApi('Media partner (demo)', `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
      const error = await api.upload('/v1/ingest/members/files', 'text/csv', 'phone\n').catch((failure: unknown) => failure);
      expect(errorLine(error, 'demo')).toBe('accord: Media partner (demo): POST /v1/ingest/members/files answered 503: {"code":"ACCORD_ERR_NOT_READY"}');
    } finally {
      server.close();
    }
  });

  it('refuses a bad option in one line before starting anything', async () => {
    expect(await runAccord(['demo', '--members', '0'])).toEqual({ code: 1, stdout: '', stderr: 'accord: --members must be an integer from 1 to 1,000,000\n' });
  });
});
