import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../core/tenancy/api-keys.ts';
import { setFirstPartyRegime } from '../../core/tenancy/first-party-regime.ts';
import type { Scope } from '../../core/tenancy/scopes.ts';
import { ensureTenant } from '../../core/tenancy/tenants.ts';
import { addPersons, setAttribute } from '../core/segments/segment-fixtures.ts';
import { bearer, startTestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

describe.each(storageBackends)('segment API on %s', (backend) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let writer: string;
  let reader: string;
  let dataReader: string;
  let otherWriter: string;
  let persons: number[];
  const keyFor = async (slug: string, scopes: Scope[]) => (await createApiKey(t.db, { tenantId: (await ensureTenant(t.db, slug)).id, name: 'test', scopes })).token;
  const call = (method: 'GET' | 'POST', token: string, url: string, body?: unknown) => app.inject({ method, url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });
  const shanghai = { attribute: 'city', op: '=', value: '上海' };

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    app = (await startTestApp(t)).app;
    writer = await keyFor('brand', ['segments:write', 'segments:read']);
    reader = await keyFor('brand', ['segments:read']);
    dataReader = await keyFor('brand', ['segments:read', 'data:read']);
    otherWriter = await keyFor('other', ['segments:write', 'segments:read']);
    const brand = (await ensureTenant(t.db, 'brand')).id;
    // Not a test of consent: an opt-out regime lets silence allow profiling (profiling-gate.test.ts covers PIPL).
    await setFirstPartyRegime(t.db, brand, 'ccpa', 'test');
    persons = await addPersons(t.db, brand, 14);
    for (const [i, id] of persons.entries()) await setAttribute(t.db, brand, id, 'city', i < 12 ? '上海' : '北京');
  });
  afterAll(async () => {
    await app.close();
    await t.dispose();
  });

  it('estimates, previews, creates, refreshes and portrays a segment', async () => {
    expect((await call('POST', reader, '/v1/segments/estimate', { rule: shanghai })).json()).toEqual({ members: 12 });
    const preview = await call('POST', dataReader, '/v1/segments/preview', { rule: shanghai, attributes: ['city'], limit: 2 });
    expect(preview.json()).toEqual({ persons: [{ personId: persons[0], attributes: { city: '上海' } }, { personId: persons[1], attributes: { city: '上海' } }] });
    const created = await call('POST', writer, '/v1/segments', { kind: 'dynamic', name: 'Shanghai', rule: shanghai });
    expect(created.statusCode).toBe(201);
    const { segment, refresh } = created.json();
    expect(refresh).toMatchObject({ added: 12, removed: 0, memberCount: 12 });
    const again = await call('POST', writer, `/v1/segments/${segment.id}/refresh`);
    expect(again.json()).toMatchObject({ added: 0, removed: 0, memberCount: 12 });
    expect((await call('GET', reader, `/v1/segments/${segment.id}/refreshes/${refresh.refreshId}/changes`)).json().added).toHaveLength(12);
    const portrait = await call('POST', reader, `/v1/segments/${segment.id}/portrait`, { dimensions: [{ attribute: 'city' }, { builtIn: 'age_band' }] });
    expect(portrait.json()).toMatchObject({ members: 12, k: 10, suppressed: false, distributions: [{ cells: [{ value: '上海', count: 12 }] }, { cells: [{ value: '(none)', count: 12 }] }] });
    expect((await call('POST', reader, `/v1/segments/${segment.id}/portrait`, { dimensions: [{ attribute: 'city' }], k: 2 })).json()).toMatchObject({ status: 400, code: 'ACCORD_ERR_VALIDATION' });
  });

  it('refuses bad rules and explains where, and counts members for a purpose only through the gate', async () => {
    const bad = await call('POST', writer, '/v1/segments', { kind: 'static', name: 'x', rule: { attribute: 'city', op: 'like', value: '%' } });
    expect(bad.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_SEGMENT_RULE' });
    const unknownPurpose = await call('POST', reader, '/v1/segments/1/members-for-purpose', { purpose: 'no.such', regime: 'pipl' });
    expect(unknownPurpose.json()).toMatchObject({ code: 'ACCORD_ERR_CONSENT_UNKNOWN_PURPOSE' });
  });

  it('enforces the scopes and keeps tenants apart', async () => {
    expect((await call('POST', reader, '/v1/segments/preview', { rule: shanghai })).json()).toMatchObject({ status: 403, code: 'ACCORD_ERR_FORBIDDEN' });
    expect((await call('POST', reader, '/v1/segments', { kind: 'static', name: 'x', rule: shanghai })).statusCode).toBe(403);
    const mine = (await call('POST', writer, '/v1/segments', { kind: 'static', name: 'mine', rule: shanghai })).json().segment;
    expect((await call('GET', otherWriter, `/v1/segments/${mine.id}`)).json()).toMatchObject({ status: 404, code: 'ACCORD_ERR_NOT_FOUND' });
    expect((await call('POST', otherWriter, '/v1/segments/estimate', { rule: shanghai })).json()).toEqual({ members: 0 });
    expect((await call('POST', otherWriter, `/v1/segments/${mine.id}/portrait`, { dimensions: [{ attribute: 'city' }] })).statusCode).toBe(404);
  });
});
