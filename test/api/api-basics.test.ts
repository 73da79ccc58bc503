import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('system endpoints on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('answers /health and /ready', async () => {
    expect((await api.app.inject('/health')).json()).toEqual({ status: 'ok' });
    const ready = await api.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'up' } });
  });

  it('publishes the node identity for peers to pin', async () => {
    const card = (await api.app.inject('/.well-known/accord-node')).json();
    expect(card).toMatchObject({ nodeId: api.identity.nodeId, partyName: 'Test brand', algorithm: 'Ed25519' });
    expect(Buffer.from(card.publicKey, 'base64')).toEqual(Buffer.from(api.identity.publicKey));
  });

  it('serves an OpenAPI 3.1 document and interactive docs', async () => {
    const doc = (await api.app.inject('/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/peers', '/v1/peers/{id}', '/v1/processing-records', '/v1/jobs/{id}', '/ready']));
    expect(doc.paths['/v1/peers'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['nodeId', 'publicKey']),
    );
    const docs = await api.app.inject('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });

  it('keeps a sane caller request id and makes one otherwise', async () => {
    const given = await api.app.inject({ url: '/health', headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers['x-request-id']).toBe('trace-123');
    const hostile = await api.app.inject({ url: '/health', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics by route to a key with metrics:read only', async () => {
    await api.app.inject('/health');
    expect((await api.app.inject('/metrics')).json()).toMatchObject({ status: 401, code: 'ACCORD_ERR_UNAUTHENTICATED' });
    const scraper = await api.keyFor('ops', ['metrics:read']);
    const metrics = await api.app.inject({ url: '/metrics', headers: bearer(scraper.token) });
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/accord_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} \d+/);
    expect(metrics.body).toContain('accord_process_cpu_seconds_total');
  });

  it('answers a malformed URL with problem+json and a request id', async () => {
    const response = await api.app.inject('/v1/peers/%zz');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.headers['x-request-id']).toBeDefined();
    expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_VALIDATION' });
  });

  it('answers an unknown route with problem+json', async () => {
    const response = await api.app.inject('/v1/nothing-here');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, code: 'ACCORD_ERR_ROUTE_NOT_FOUND', instance: '/v1/nothing-here' });
  });
});

describe('readiness', () => {
  it('reports 503 and names the dependency that is down', async () => {
    const t = await openTestDatabase('pglite');
    const api = await startTestApp(t, {
      readinessChecks: { database: t.handle.ping, queue: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6390')) },
    });
    const response = await api.app.inject('/ready');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unavailable', checks: { database: 'up', queue: 'down' } });
    expect(response.body).not.toContain('127.0.0.1');
    await api.app.close();
    await t.dispose();
  });
});
