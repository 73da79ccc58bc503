/**
 * Routes whose body is optional take a request without one, whether the client sends no body at
 * all or an empty one labelled application/json (what many HTTP clients do for a bodiless POST).
 * A route whose body is required still refuses both with a validation problem naming the body.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

const withoutBody = [
  { name: 'no body', headers: {} },
  { name: 'an empty JSON body', headers: { 'content-type': 'application/json' }, payload: '' },
] as const;

describe.each(storageBackends)('optional request bodies on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    token = (await api.keyFor('brand', ['admin'])).token;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  const post = (url: string, variant: (typeof withoutBody)[number]) =>
    api.app.inject({ method: 'POST', url, headers: { ...bearer(token), ...variant.headers }, ...('payload' in variant ? { payload: variant.payload } : {}) });

  it.each(withoutBody)('runs the built-in tags with %s', async (variant) => {
    const response = await post('/v1/tags/builtins/runs', variant);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().persons).toEqual({ rfm: 0, lifecycle: 0, clv: 0 });
  });

  it.each(withoutBody)('signs a checkpoint with %s (404: nothing to sign yet, not a body error)', async (variant) => {
    const response = await post('/v1/consent/checkpoints', variant);
    expect(response.json().code).toBe('ACCORD_ERR_NOT_FOUND');
  });

  it.each(withoutBody)('erases with %s (the identifiers list defaults to empty)', async (variant) => {
    const created = await api.app.inject({
      method: 'POST',
      url: '/v1/privacy-requests',
      headers: bearer(token),
      payload: { kind: 'erasure', regime: 'pipl', subject: `s-${variant.name.length}`, channel: 'email' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    await api.app.inject({ method: 'POST', url: `/v1/privacy-requests/${id}/transitions`, headers: bearer(token), payload: { to: 'verified' } });
    const response = await post(`/v1/privacy-requests/${id}/erasure`, variant);
    expect(response.json().code).not.toBe('ACCORD_ERR_VALIDATION');
    expect(response.json().code).not.toBe('ACCORD_ERR_MALFORMED_JSON');
  });

  it.each(withoutBody)('still refuses %s where a body is required, naming the body', async (variant) => {
    const response = await post('/v1/segments/estimate', variant);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_VALIDATION' });
    expect(response.json().detail).toMatch(/^body/);
  });
});
