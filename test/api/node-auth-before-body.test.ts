import { randomUUID } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { signNodeRequest } from '../../core/peers/node-request-signature.ts';
import { generateSigningKeyPair, sign } from '../../crypto/ed25519.ts';
import { countedUpload, UPLOAD_CHUNK } from '../support/counted-upload.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

const FRAME_LIMIT = 20 * 1024 * 1024;

function identityOf(name: string): NodeIdentity {
  const keys = generateSigningKeyPair();
  return { nodeId: randomUUID(), partyName: name, publicKey: keys.publicKey, sign: (message) => sign(message, keys.secretKey) };
}

describe.each(storageBackends)('node requests are authenticated before their body is read, on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  const partner = identityOf('Partner');
  const stranger = identityOf('Stranger');
  const path = `/v1/node/collaborations/${randomUUID()}/psi-runs/${randomUUID()}/frames/email/client-blinded`;

  /** Signed headers for this path; the signature covers an empty body, as an attacker's might. */
  const signedBy = (from: NodeIdentity, recipient: string, now?: Date) =>
    signNodeRequest(from.sign, { sender: from.nodeId, recipient, method: 'POST', pathWithQuery: path, body: new Uint8Array(0) }, now);
  const send = (headers: Record<string, string>, size = FRAME_LIMIT) => {
    const body = countedUpload(size);
    const answer = api.app.inject({ method: 'POST', url: path, headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) }, payload: body.stream });
    return answer.then((response) => ({ response, pulled: body.pulled() }));
  };

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const admin = await api.keyFor('brand', ['admin']);
    const pinned = await api.app.inject({
      method: 'POST',
      url: '/v1/peers',
      headers: bearer(admin.token),
      payload: { nodeId: partner.nodeId, name: 'Partner', baseUrl: 'https://partner.example', publicKey: Buffer.from(partner.publicKey).toString('base64') },
    });
    expect(pinned.statusCode).toBe(201);
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it.each([
    ['unsigned', () => ({}), 'ACCORD_ERR_NODE_UNAUTHENTICATED'],
    ['addressed to another node', () => signedBy(partner, randomUUID()), 'ACCORD_ERR_NODE_UNAUTHENTICATED'],
    ['from a node nobody pinned', () => signedBy(stranger, api.identity.nodeId), 'ACCORD_ERR_NODE_UNAUTHENTICATED'],
    ['signed outside the clock window', () => signedBy(partner, api.identity.nodeId, new Date(Date.now() - 6 * 60_000)), 'ACCORD_ERR_NODE_CLOCK_SKEW'],
  ])('refuses a 20 MiB frame upload %s with 401, reading none of it', async (_case, headers, code) => {
    const { response, pulled } = await send(headers());
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code });
    expect(pulled).toBeLessThan(4 * UPLOAD_CHUNK);
  });

  it('answers over a real socket after the first 64 KiB of 20 MiB, and hangs up instead of draining the rest', async () => {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    const outcome = await new Promise<{ response: IncomingMessage; body: string }>((resolve, reject) => {
      const upload = request({ host: '127.0.0.1', port, method: 'POST', path, agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': FRAME_LIMIT } });
      upload.on('error', reject);
      upload.on('response', (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (text: string) => (body += text));
        // Nothing more is sent: the answer comes, and the server hangs up, while 20 MiB minus 64 KiB are still owed.
        upload.socket?.on('close', () => resolve({ response, body }));
      });
      upload.write(Buffer.alloc(UPLOAD_CHUNK));
    });
    expect(outcome.response.statusCode).toBe(401);
    expect(outcome.response.headers.connection).toBe('close');
    expect(JSON.parse(outcome.body)).toMatchObject({ code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });
  });

  it('reads the body of a request that passes those checks, and then checks its digest', async () => {
    // The headers are the partner's, addressed here, in the window; the body is not what was signed.
    const { response, pulled } = await send(signedBy(partner, api.identity.nodeId), 1024 * 1024);
    expect(pulled).toBe(1024 * 1024);
    expect(response.json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });
  });
});
