import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalMessage } from '../../core/collaborations/collaboration-signatures.ts';
import { termsHash } from '../../core/collaborations/collaboration-terms.ts';
import type { NodeIdentity } from '../../core/identity/node-identity.ts';
import { signNodeRequest } from '../../core/peers/node-request-signature.ts';
import { signedRequest } from '../../core/peers/peer-client.ts';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { generateSigningKeyPair, sign } from '../../crypto/ed25519.ts';
import { storageBackends } from '../support/test-database.ts';
import { defineMatchingConsent, introduce, PURPOSE, RECIPIENT, startCollaborationNode, type CollaborationNode } from './collaboration-nodes.ts';

function strangerIdentity(name: string): NodeIdentity {
  const keys = generateSigningKeyPair();
  return { nodeId: randomUUID(), partyName: name, publicKey: keys.publicKey, sign: (message) => sign(message, keys.secretKey) };
}

/** A node route for the test: echoes what node-auth let through. */
const echoRoute = (app: FastifyInstance) => {
  app.post('/test/echo', { config: { nodeAuth: true } }, async (request) => ({
    nodeId: request.peerNode?.nodeId,
    bytes: (request.body as Buffer).length,
    sha256: createHash('sha256').update(request.body as Buffer).digest('hex'),
  }));
};

describe.each(storageBackends)('node-to-node authentication and signed collaboration statements on %s', (backend) => {
  let brand: CollaborationNode;
  let partner: CollaborationNode;
  let brandOnPartner: string;
  let id: string;
  const brandAddress = () => ({ nodeId: brand.identity.nodeId, baseUrl: brand.url });
  const documentPath = () => `/v1/node/collaborations/${id}`;

  beforeAll(async () => {
    brand = await startCollaborationNode(backend, 'Brand', echoRoute);
    partner = await startCollaborationNode(backend, 'Partner');
    brandOnPartner = (await introduce(brand, partner)).aOnB;
    await defineMatchingConsent(brand.t, brand.tenantId);
    await defineMatchingConsent(partner.t, partner.tenantId);
    const created = await brand.call('POST', '/v1/collaborations', {
      name: 'Autumn',
      parties: [
        { nodeId: brand.identity.nodeId, role: 'brand' },
        { nodeId: partner.identity.nodeId, role: 'partner' },
      ],
      purpose: PURPOSE,
      recipients: [RECIPIENT],
      idTypes: ['email'],
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    id = created.body.id;
    await brand.call('POST', `/v1/collaborations/${id}/approve`);
    expect((await partner.call('POST', '/v1/collaborations/import', { fromPeer: brandOnPartner, collaborationId: id })).status).toBe(201);
  });
  afterAll(async () => {
    await brand?.close();
    await partner?.close();
  });

  it('answers a party signed request, and refuses unsigned, unknown, misdirected and altered ones alike', async () => {
    const answer = await signedRequest(partner.identity, brandAddress(), 'GET', documentPath());
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ terms: { id }, approvals: [{ nodeId: brand.identity.nodeId }] });

    expect((await (await fetch(brand.url + documentPath())).json())).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });
    const stranger = await signedRequest(strangerIdentity('Stranger'), brandAddress(), 'GET', documentPath());
    expect(await stranger.json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });
    const misdirected = await signedRequest(partner.identity, { nodeId: randomUUID(), baseUrl: brand.url }, 'GET', documentPath());
    expect(await misdirected.json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });

    const signedFor = new TextEncoder().encode('{"a":1}');
    const headers = signNodeRequest(partner.identity.sign, { sender: partner.identity.nodeId, recipient: brand.identity.nodeId, method: 'POST', pathWithQuery: '/test/echo', body: signedFor });
    const altered = await fetch(`${brand.url}/test/echo`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: '{"a":2}' });
    expect(await altered.json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_UNAUTHENTICATED' });
  });

  it('accepts a nonce once and a timestamp only within five minutes', async () => {
    const target = { sender: partner.identity.nodeId, recipient: brand.identity.nodeId, method: 'GET', pathWithQuery: documentPath(), body: new Uint8Array(0) };
    const headers = signNodeRequest(partner.identity.sign, target);
    expect((await fetch(brand.url + documentPath(), { headers })).status).toBe(200);
    expect(await (await fetch(brand.url + documentPath(), { headers })).json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_REPLAY' });
    const stale = signNodeRequest(partner.identity.sign, target, new Date(Date.now() - 6 * 60_000));
    expect(await (await fetch(brand.url + documentPath(), { headers: stale })).json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_NODE_CLOCK_SKEW' });
    const ahead = signNodeRequest(partner.identity.sign, target, new Date(Date.now() + 6 * 60_000));
    expect(await (await fetch(brand.url + documentPath(), { headers: ahead })).json()).toMatchObject({ code: 'ACCORD_ERR_NODE_CLOCK_SKEW' });
  });

  it('takes octet-stream bodies on node routes only, within the body limit', async () => {
    const bytes = new Uint8Array(4096).map((_, i) => i % 251);
    const echoed = await signedRequest(partner.identity, brandAddress(), 'POST', '/test/echo', bytes);
    expect(await echoed.json()).toEqual({ nodeId: partner.identity.nodeId, bytes: 4096, sha256: createHash('sha256').update(bytes).digest('hex') });
    const tooLarge = await signedRequest(partner.identity, brandAddress(), 'POST', '/test/echo', new Uint8Array(1_048_577));
    expect(await tooLarge.json()).toMatchObject({ status: 413 });
    const apiRoute = await fetch(`${brand.url}/v1/collaborations`, { method: 'POST', headers: { authorization: `Bearer ${brand.token}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(4) });
    expect(apiRoute.status).toBe(415);
  });

  it('refuses forged, relayed, loosening and non-party approvals', async () => {
    const c = (await brand.call('GET', `/v1/collaborations/${id}`)).body;
    const hash = Buffer.from(c.termsHash, 'hex');
    const push = (from: NodeIdentity, body: object) => signedRequest(from, brandAddress(), 'POST', `/v1/node/collaborations/${id}/approvals`, body);
    const signedBy = (signer: NodeIdentity, nodeId: string, constraints: object) => Buffer.from(signer.sign(approvalMessage({ collaborationId: id, termsHash: hash, nodeId, constraints }))).toString('base64');

    const impostor = strangerIdentity('Impostor');
    const forged = await push(partner.identity, { nodeId: partner.identity.nodeId, constraints: {}, signature: signedBy(impostor, partner.identity.nodeId, {}) });
    expect(await forged.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_SIGNATURE' });
    const otherTerms = Buffer.from(partner.identity.sign(approvalMessage({ collaborationId: id, termsHash: new Uint8Array(32), nodeId: partner.identity.nodeId, constraints: {} }))).toString('base64');
    expect(await (await push(partner.identity, { nodeId: partner.identity.nodeId, constraints: {}, signature: otherTerms })).json()).toMatchObject({ code: 'ACCORD_ERR_COLLABORATION_SIGNATURE' });
    const relayed = await push(partner.identity, { nodeId: brand.identity.nodeId, constraints: {}, signature: signedBy(partner.identity, brand.identity.nodeId, {}) });
    expect(await relayed.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_SIGNATURE' });
    const loose = await push(partner.identity, { nodeId: partner.identity.nodeId, constraints: { minOverlap: 1 }, signature: signedBy(partner.identity, partner.identity.nodeId, { minOverlap: 1 }) });
    expect(await loose.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_CONSTRAINTS' });

    // A pinned peer that is not a party learns nothing about the collaboration.
    const outsider = strangerIdentity('Outsider');
    await brand.call('POST', '/v1/peers', { nodeId: outsider.nodeId, name: 'Outsider', baseUrl: 'http://127.0.0.1:9', publicKey: Buffer.from(outsider.publicKey).toString('base64') });
    expect(await (await push(outsider, { nodeId: outsider.nodeId, constraints: {}, signature: signedBy(outsider, outsider.nodeId, {}) })).json()).toMatchObject({ status: 404, code: 'ACCORD_ERR_COLLABORATION_UNKNOWN' });
    expect(await (await signedRequest(outsider, brandAddress(), 'GET', documentPath())).json()).toMatchObject({ status: 404 });

    expect((await brand.call('GET', `/v1/collaborations/${id}`)).body).toMatchObject({ status: 'proposed', approvals: [{ nodeId: brand.identity.nodeId }] });
    const genuine = await push(partner.identity, { nodeId: partner.identity.nodeId, constraints: { minOverlap: 200 }, signature: signedBy(partner.identity, partner.identity.nodeId, { minOverlap: 200 }) });
    expect(await genuine.json()).toEqual({ accepted: true });
    expect((await brand.call('GET', `/v1/collaborations/${id}`)).body).toMatchObject({ status: 'approved', effectiveTerms: { minOverlap: 200 } });
  });

  describe('importing terms altered on the way', () => {
    let server: Server;
    let served: unknown;
    let mitmToken: string;
    let mitmPeer: string;

    beforeAll(async () => {
      server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      const tenant = await ensureTenant(partner.t.db, 'mitm');
      mitmToken = (await createApiKey(partner.t.db, { tenantId: tenant.id, name: 'admin', scopes: ['admin'] })).token;
      // This tenant pinned the brand's real key, but at an address where someone else answers.
      const pinned = await partner.call('POST', '/v1/peers', { nodeId: brand.identity.nodeId, name: 'Brand', baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, publicKey: Buffer.from(brand.identity.publicKey).toString('base64') }, mitmToken);
      mitmPeer = pinned.body.id;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it('refuses terms that do not hash to their hash, or whose signatures do not cover them', async () => {
      const genuine = (await (await signedRequest(partner.identity, brandAddress(), 'GET', documentPath())).json()) as { terms: Record<string, unknown>; termsHash: string };
      const importThrough = async (doc: unknown) => {
        served = doc;
        return (await partner.call('POST', '/v1/collaborations/import', { fromPeer: mitmPeer, collaborationId: id }, mitmToken)).body;
      };
      const loosened = { ...genuine.terms, minOverlap: 1 };
      expect(await importThrough({ ...genuine, terms: loosened })).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_SIGNATURE', detail: expect.stringContaining('altered') });
      const rehashed = { ...genuine, terms: loosened, termsHash: Buffer.from(termsHash(loosened as never)).toString('hex') };
      expect(await importThrough(rehashed)).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_SIGNATURE', detail: expect.stringContaining('does not verify') });
      expect(await importThrough({ nonsense: true })).toMatchObject({ status: 422, code: 'ACCORD_ERR_COLLABORATION_TERMS' });
      // The genuine document through the same route is fine: the check is the signature, not the path.
      expect(await importThrough(genuine)).toMatchObject({ id, status: expect.any(String) });
    });
  });
});
