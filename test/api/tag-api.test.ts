import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOrder, addPersons, OUTDOOR_BUYER_90D } from '../core/tags/tag-fixtures.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('tag API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let admin: string;
  let writer: string;
  let reader: string;
  let otherWriter: string;
  let persons: number[];
  const call = (method: 'GET' | 'POST', token: string, url: string, body?: unknown) =>
    api.app.inject({ method, url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const adminKey = await api.keyFor('brand', ['admin']);
    admin = adminKey.token;
    writer = (await api.keyFor('brand', ['tags:write'])).token;
    reader = (await api.keyFor('brand', ['tags:read'])).token;
    otherWriter = (await api.keyFor('other', ['tags:write'])).token;
    persons = await addPersons(t.db, adminKey.tenantId, 3);
    await addOrder(t.db, adminKey.tenantId, persons[0]!, 3, 'outdoor');
    await addOrder(t.db, adminKey.tenantId, persons[0]!, 30, 'outdoor');
    const shoeSize = await call('POST', writer, '/v1/tags', { key: 'shoe_size', kind: 'static', valueType: 'number', description: 'EU shoe size', owner: 'crm' });
    expect(shoeSize.statusCode).toBe(201);
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('lets a tags:write key set static values and a tags:read key read them', async () => {
    const set = await call('POST', writer, '/v1/tags/shoe_size/values', { values: [{ personId: persons[0], value: 42 }, { personId: persons[1], value: 39 }] });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ set: 2, removed: 0 });
    const page = await call('GET', reader, '/v1/tags/shoe_size/values?limit=1');
    expect(page.json().values).toMatchObject([{ tag: 'shoe_size', personId: persons[0], value: 42 }]);
    const next = await call('GET', reader, `/v1/tags/shoe_size/values?afterPersonId=${persons[0]}`);
    expect(next.json().values).toMatchObject([{ personId: persons[1], value: 39 }]);
    const person = await call('GET', reader, `/v1/persons/${persons[0]}/tags`);
    expect(person.json().values).toMatchObject([{ tag: 'shoe_size', value: 42, source: expect.stringMatching(/^api:/) }]);
  });

  it('enforces the scopes', async () => {
    expect((await call('POST', reader, '/v1/tags/shoe_size/values', { values: [{ personId: persons[0], value: 41 }] })).json()).toMatchObject({ status: 403, code: 'ACCORD_ERR_FORBIDDEN' });
    expect((await call('GET', writer, '/v1/tags')).statusCode).toBe(403);
    expect((await call('POST', reader, '/v1/tags', { key: 'x', kind: 'static', valueType: 'text', description: 'x', owner: 'x' })).statusCode).toBe(403);
    const sqlByWriter = await call('POST', writer, '/v1/tags', { key: 'everyone', kind: 'sql', valueType: 'boolean', description: 'all', owner: 'analyst', query: 'select person_id, true as value from persons_v' });
    expect(sqlByWriter.json()).toMatchObject({ status: 403, code: 'ACCORD_ERR_FORBIDDEN' });
  });

  it("keeps tenants apart: another tenant's key can neither see the tag nor write to these persons", async () => {
    expect((await call('POST', otherWriter, '/v1/tags/shoe_size/values', { values: [{ personId: persons[0], value: 1 }] })).json()).toMatchObject({ status: 404, code: 'ACCORD_ERR_NOT_FOUND' });
    expect((await call('POST', otherWriter, '/v1/tags', { key: 'shoe_size', kind: 'static', valueType: 'number', description: 'x', owner: 'x' })).statusCode).toBe(201);
    const foreign = await call('POST', otherWriter, '/v1/tags/shoe_size/values', { values: [{ personId: persons[0], value: 1 }] });
    expect(foreign.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_UNKNOWN_PERSON', unknownPersonIds: [persons[0]] });
  });

  it('answers invalid values with the problems, all or nothing', async () => {
    const bad = await call('POST', writer, '/v1/tags/shoe_size/values', { values: [{ personId: persons[2], value: 40 }, { personId: persons[1], value: 'big' }] });
    expect(bad.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_VALUE', problems: [{ index: 1, personId: persons[1] }] });
    expect((await call('GET', reader, `/v1/persons/${persons[2]}/tags`)).json().values).toEqual([]);
    const tooMany = await call('POST', writer, '/v1/tags/shoe_size/values', { values: Array.from({ length: 10_001 }, (_, index) => ({ personId: index + 1, value: 40 })) });
    expect(tooMany.json()).toMatchObject({ status: 400, code: 'ACCORD_ERR_VALIDATION' });
  });

  it.each([
    ['DROP TABLE', 'drop table orders', 'statement'],
    ['pg_sleep', 'select 1 as person_id, pg_sleep(10) as value', 'function'],
    ['a cross-tenant read through a base table', 'select person_id, true as value from orders', 'relation'],
    ['a hidden second statement', 'select person_id, true as value from persons_v /* x */; delete from orders', 'statements'],
  ])('refuses an SQL tag with %s, with the reason', async (_name, query, reason) => {
    const response = await call('POST', admin, '/v1/tags', { key: 'hostile', kind: 'sql', valueType: 'boolean', description: 'x', owner: 'x', query });
    expect(response.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_SQL_REFUSED', reason });
    expect((await call('GET', admin, '/v1/tags/hostile')).statusCode).toBe(404);
  });

  it('defines an SQL tag with an admin key and queues its runs', async () => {
    const defined = await call('POST', admin, '/v1/tags', { key: 'outdoor_buyer_90d', kind: 'sql', valueType: 'boolean', description: '2+ outdoor purchases in 90 days', owner: 'analyst', query: OUTDOOR_BUYER_90D });
    expect(defined.statusCode).toBe(201);
    expect(defined.json()).toMatchObject({ kind: 'sql', query: OUTDOOR_BUYER_90D, scheduleSeconds: null, lastComputedAt: null });
    const run = await call('POST', writer, '/v1/tags/outdoor_buyer_90d/runs');
    expect(run.statusCode).toBe(202);
    const job = await t.db.selectFrom('jobs').select(['name', 'payload']).where('id', '=', run.json().jobId).executeTakeFirstOrThrow();
    expect(job).toEqual({ name: 'tags.compute-sql', payload: { tag: 'outdoor_buyer_90d' } });
    expect((await call('POST', writer, '/v1/tags/outdoor_buyer_90d/runs')).json()).toEqual(run.json());
    expect((await call('POST', writer, '/v1/tags/shoe_size/runs')).json()).toMatchObject({ status: 409, code: 'ACCORD_ERR_TAG_KIND' });
    expect((await call('POST', writer, '/v1/tags/outdoor_buyer_90d/values', { values: [{ personId: persons[0], value: true }] })).json()).toMatchObject({ code: 'ACCORD_ERR_TAG_KIND' });
  });
});
