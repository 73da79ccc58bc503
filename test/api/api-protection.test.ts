import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordProcessing } from '../../core/audit/processing-records.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { enqueueJob } from '../../core/jobs/enqueue-job.ts';
import { revokeApiKey } from '../../core/tenancy/api-keys.ts';
import { purgeExpiredIdempotencyKeys } from '../../api/plugins/idempotency.ts';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

const newPeer = (name = 'Media partner') => ({
  nodeId: crypto.randomUUID(),
  name,
  baseUrl: 'https://partner.example:8443',
  publicKey: Buffer.from(generateSigningKeyPair().publicKey).toString('base64'),
});

describe.each(storageBackends)('API protection on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let brand: { token: string; id: string; tenantId: string };
  let rival: { token: string; id: string; tenantId: string };

  const post = (token: string, url: string, body: unknown, headers: Record<string, string> = {}) =>
    api.app.inject({ method: 'POST', url, payload: body as object, headers: { ...bearer(token), ...headers } });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t, { bodyLimitBytes: 4096 }, (app) => app.get('/test/undeclared', async () => ({ reached: true })));
    brand = await api.keyFor('brand', ['admin']);
    rival = await api.keyFor('rival', ['admin']);
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('registers a peer, records who did it, and lists it', async () => {
    const peer = newPeer();
    const created = await post(brand.token, '/v1/peers', peer);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ nodeId: peer.nodeId, publicKey: peer.publicKey, name: 'Media partner' });
    const listed = await api.app.inject({ url: '/v1/peers', headers: bearer(brand.token) });
    expect(listed.json().items.map((p: { nodeId: string }) => p.nodeId)).toContain(peer.nodeId);
    const audit = await api.app.inject({ url: '/v1/audit-events', headers: bearer(brand.token) });
    expect(audit.json().items[0]).toMatchObject({ actor: `apikey:${brand.id}`, action: 'peer.registered', targetId: created.json().id });
  });

  it('rejects a missing, malformed, unknown or revoked key with 401 and the same words', async () => {
    const revoked = await api.keyFor('brand', ['peers:read']);
    await revokeApiKey(t.db, revoked.id);
    const tokens = [undefined, 'not-a-key', `accord_0123456789abcdef_${'A'.repeat(43)}`, brand.token.slice(0, -1) + (brand.token.endsWith('A') ? 'B' : 'A'), revoked.token];
    for (const token of tokens) {
      const response = await api.app.inject({ url: '/v1/peers', headers: token ? bearer(token) : {} });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_UNAUTHENTICATED' });
    }
    const viaHeader = await api.app.inject({ url: '/v1/peers', headers: { 'x-api-key': brand.token } });
    expect(viaHeader.statusCode).toBe(200);
    const lowerCaseScheme = await api.app.inject({ url: '/v1/peers', headers: { authorization: `bearer ${brand.token}` } });
    expect(lowerCaseScheme.statusCode).toBe(200);
  });

  it('refuses a key without the scope with 403', async () => {
    const reader = await api.keyFor('brand', ['peers:read']);
    const response = await post(reader.token, '/v1/peers', newPeer());
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_FORBIDDEN', detail: 'this endpoint needs the scope peers:write' });
  });

  it('takes an admin key on a route that declares neither a scope, node signatures nor why it is public', async () => {
    const anonymous = await api.app.inject({ url: '/test/undeclared' });
    expect(anonymous.json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_UNAUTHENTICATED' });
    const reader = await api.keyFor('brand', ['peers:read']);
    const scoped = await api.app.inject({ url: '/test/undeclared', headers: bearer(reader.token) });
    expect(scoped.json()).toMatchObject({ status: 403, code: 'ACCORD_ERR_FORBIDDEN', detail: 'this endpoint needs the scope admin' });
    expect((await api.app.inject({ url: '/test/undeclared', headers: bearer(brand.token) })).json()).toEqual({ reached: true });
  });

  it("answers another tenant's peer, record and job with the same 404 as a missing one", async () => {
    const peerId = (await post(brand.token, '/v1/peers', newPeer('Private partner'))).json().id;
    const { recordId, jobId } = await withTenant(t.db, brand.tenantId, async (trx) => ({
      recordId: await recordProcessing(trx, { activity: 'psi.run', purpose: 'audience.matching', actor: 'test', subjects_in: 5, subjects_out: 2, started_at: new Date(), finished_at: new Date() }),
      jobId: await enqueueJob(trx, 'psi.chunk', {}),
    }));
    for (const url of [`/v1/peers/${peerId}`, `/v1/processing-records/${recordId}`, `/v1/jobs/${jobId}`]) {
      expect((await api.app.inject({ url, headers: bearer(brand.token) })).statusCode).toBe(200);
      const theirs = await api.app.inject({ url, headers: bearer(rival.token) });
      const missing = await api.app.inject({ url: url.replace(/[0-9a-f-]{36}$/, crypto.randomUUID()), headers: bearer(rival.token) });
      expect(theirs.statusCode).toBe(404);
      expect(theirs.json().detail).toBe(missing.json().detail);
      expect(theirs.json().code).toBe('ACCORD_ERR_NOT_FOUND');
    }
    const rivalList = await api.app.inject({ url: '/v1/peers', headers: bearer(rival.token) });
    expect(rivalList.json().items).toEqual([]);
  });

  it('answers malformed JSON, wrong content type and oversized bodies with problem+json', async () => {
    const malformed = await api.app.inject({ method: 'POST', url: '/v1/peers', payload: '{"nodeId": ', headers: { ...bearer(brand.token), 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'ACCORD_ERR_MALFORMED_JSON' });
    const wrongType = await api.app.inject({ method: 'POST', url: '/v1/peers', payload: 'nodeId=1', headers: { ...bearer(brand.token), 'content-type': 'text/plain' } });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({ code: 'ACCORD_ERR_UNSUPPORTED_MEDIA_TYPE' });
    const huge = await post(brand.token, '/v1/peers', { ...newPeer(), name: 'x'.repeat(5000) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ code: 'ACCORD_ERR_PAYLOAD_TOO_LARGE' });
    expect(huge.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('names each invalid field, and refuses an unusable key or a duplicate peer', async () => {
    const invalid = await post(brand.token, '/v1/peers', { nodeId: 'nope', name: '', baseUrl: 'ftp://x', publicKey: 'short' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().code).toBe('ACCORD_ERR_VALIDATION');
    expect(invalid.json().issues.map((issue: { where: string }) => issue.where).sort()).toEqual(['body.baseUrl', 'body.name', 'body.nodeId', 'body.publicKey']);
    const smallOrder = Buffer.alloc(32);
    smallOrder[0] = 1;
    const weak = await post(brand.token, '/v1/peers', { ...newPeer(), publicKey: smallOrder.toString('base64') });
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ code: 'ACCORD_ERR_INVALID_INPUT', detail: 'publicKey is not a valid Ed25519 public key' });
    const peer = newPeer();
    expect((await post(brand.token, '/v1/peers', peer)).statusCode).toBe(201);
    const again = await post(brand.token, '/v1/peers', peer);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('ACCORD_ERR_CONFLICT');
  });

  it('refuses text the database cannot hold (a NUL character) with a 400, not a 500', async () => {
    const withNul = await post(brand.token, '/v1/peers', { ...newPeer(), name: 'a\u0000b' });
    expect(withNul.statusCode).toBe(400);
    expect(withNul.json().code).toBe('ACCORD_ERR_INVALID_INPUT');
    const inQuery = await api.app.inject({ url: '/v1/processing-records?purpose=%00', headers: bearer(brand.token) });
    expect(inQuery.statusCode).toBe(400);
  });

  it('replays an idempotent POST, and refuses the key with another body', async () => {
    const peer = newPeer('Idempotent partner');
    const key = { 'idempotency-key': `create-${peer.nodeId}` };
    const first = await post(brand.token, '/v1/peers', peer, key);
    const replay = await post(brand.token, '/v1/peers', { ...peer }, key);
    expect(first.statusCode).toBe(201);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const registered = await withTenant(t.db, brand.tenantId, (trx) => trx.selectFrom('audit_events').select('id').where('target_id', '=', first.json().id).execute());
    expect(registered).toHaveLength(1);

    const other = await post(brand.token, '/v1/peers', newPeer('Another partner'), key);
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('ACCORD_ERR_IDEMPOTENCY_MISMATCH');

    // Keys are per tenant: the rival's identical key is a new request.
    const rivalsOwn = await post(rival.token, '/v1/peers', peer, key);
    expect(rivalsOwn.statusCode).toBe(201);
    expect(rivalsOwn.headers['idempotent-replayed']).toBeUndefined();
  });

  it('lets a claim whose request died be retried later, and purges expired keys', async () => {
    const peer = newPeer('Retried partner');
    await withTenant(t.db, brand.tenantId, (trx) =>
      trx.insertInto('idempotency_keys').values({ tenant_id: brand.tenantId, key: 'died', request_hash: 'x', created_at: new Date(Date.now() - 10 * 60_000) }).execute(),
    );
    const retried = await post(brand.token, '/v1/peers', peer, { 'idempotency-key': 'died' });
    expect(retried.statusCode).toBe(201);
    await withTenant(t.db, brand.tenantId, (trx) =>
      trx.insertInto('idempotency_keys').values({ tenant_id: brand.tenantId, key: 'old', request_hash: 'x', response_status: 201, response_body: '{}', created_at: new Date(Date.now() - 25 * 3600_000) }).execute(),
    );
    expect(await purgeExpiredIdempotencyKeys(t.db)).toBe(1);
    const keys = await withTenant(t.db, brand.tenantId, (trx) => trx.selectFrom('idempotency_keys').select('key').execute());
    expect(keys.map((k) => k.key)).not.toContain('old');
  });

  it('replays a stored error too, so a retried bad request stays the same answer', async () => {
    const key = { 'idempotency-key': 'bad-request-1' };
    const smallOrder = Buffer.alloc(32);
    smallOrder[0] = 1;
    const body = { ...newPeer(), publicKey: smallOrder.toString('base64') };
    const first = await post(brand.token, '/v1/peers', body, key);
    const second = await post(brand.token, '/v1/peers', body, key);
    expect(first.statusCode).toBe(400);
    expect(second.statusCode).toBe(400);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().code).toBe('ACCORD_ERR_INVALID_INPUT');
  });
});

describe('rate limits', () => {
  it('answers 429 problem+json past the limit, per API key', async () => {
    const t = await openTestDatabase('pglite');
    const api = await startTestApp(t, { rateLimitPerMinute: 3 });
    const a = await api.keyFor('brand', ['peers:read']);
    const b = await api.keyFor('brand', ['peers:read']);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api.app.inject({ url: '/v1/peers', headers: bearer(a.token) })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await api.app.inject({ url: '/v1/peers', headers: bearer(a.token) });
    expect(limited.json()).toMatchObject({ code: 'ACCORD_ERR_RATE_LIMITED', status: 429 });
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await api.app.inject({ url: '/v1/peers', headers: bearer(b.token) })).statusCode).toBe(200);
    expect((await api.app.inject('/health')).statusCode).toBe(200);

    // Guessing keys is limited too, before any database lookup.
    const guess = `accord_${'f'.repeat(16)}_${'A'.repeat(43)}`;
    const guesses = [];
    for (let i = 0; i < 4; i++) guesses.push((await api.app.inject({ url: '/v1/peers', headers: bearer(guess) })).statusCode);
    expect(guesses).toEqual([401, 401, 401, 429]);

    // Replaying an idempotent POST spends the same budget as any request.
    const writer = await api.keyFor('brand', ['peers:write']);
    const peer = newPeer();
    const replays = [];
    for (let i = 0; i < 4; i++) {
      replays.push((await api.app.inject({ method: 'POST', url: '/v1/peers', payload: peer, headers: { ...bearer(writer.token), 'idempotency-key': 'k1' } })).statusCode);
    }
    expect(replays).toEqual([201, 201, 201, 429]);
    await api.app.close();
    await t.dispose();
  });
});
