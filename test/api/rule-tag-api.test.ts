import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobProcessors } from '../../api/job-processors.ts';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { executeJob } from '../../core/jobs/job-store.ts';
import { setFirstPartyRegime } from '../../core/tenancy/first-party-regime.ts';
import { addOrder, addPersons } from '../core/tags/tag-fixtures.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

describe.each(storageBackends)('rule and built-in tag API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let writer: string;
  let reader: string;
  let persons: number[];
  const call = (method: 'GET' | 'POST', token: string, url: string, body?: unknown) =>
    api.app.inject({ method, url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });
  const outdoorTwice = { key: 'outdoor_twice_90d', kind: 'rule', valueType: 'boolean', description: 'Bought outdoor gear twice in 90 days', owner: 'crm', rule: { match: { orders: { withinDays: 90, category: 'outdoor' }, op: '>=', value: 2 } } };

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const writerKey = await api.keyFor('brand', ['tags:write']);
    writer = writerKey.token;
    reader = (await api.keyFor('brand', ['tags:read'])).token;
    // Not a test of consent: an opt-out regime lets silence allow profiling (profiling-gate.test.ts covers PIPL).
    await setFirstPartyRegime(t.db, writerKey.tenantId, 'ccpa', 'test');
    persons = await addPersons(t.db, writerKey.tenantId, 3);
    await addOrder(t.db, writerKey.tenantId, persons[0]!, 3, 'outdoor');
    await addOrder(t.db, writerKey.tenantId, persons[0]!, 30, 'outdoor');
    await addOrder(t.db, writerKey.tenantId, persons[1]!, 3, 'outdoor');
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('defines a rule tag with a tags:write key and computes it through a queued run', async () => {
    const defined = await call('POST', writer, '/v1/tags', outdoorTwice);
    expect(defined.statusCode).toBe(201);
    expect(defined.json()).toMatchObject({ kind: 'rule', rule: { match: { orders: { withinDays: 90, category: ['outdoor'], status: ['paid'] } } } });
    const queued = await call('POST', writer, '/v1/tags/outdoor_twice_90d/runs');
    expect(queued.statusCode).toBe(202);
    const job = await t.db.selectFrom('jobs').selectAll().where('id', '=', queued.json().jobId).executeTakeFirstOrThrow();
    expect(job.name).toBe('tags.compute-rule');
    expect(await executeJob(t.db, jobProcessors(new ConsentGate()), job)).toEqual({ ok: true });
    const values = await call('GET', reader, '/v1/tags/outdoor_twice_90d/values');
    expect(values.json().values).toMatchObject([{ personId: persons[0], value: true }]);
  });

  it('refuses a rule with an unknown field or a bad window as problem+json, defining nothing', async () => {
    const unknownField = await call('POST', writer, '/v1/tags', { ...outdoorTwice, key: 'bad_field', rule: { match: { orders: { withinDays: 90, colour: 'red' }, op: '>=', value: 1 } } });
    expect(unknownField.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_RULE_INVALID', detail: expect.stringContaining('colour') });
    const badWindow = await call('POST', writer, '/v1/tags', { ...outdoorTwice, key: 'bad_window', rule: { match: { orders: { withinDays: 99999 }, op: '>=', value: 1 } } });
    expect(badWindow.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_RULE_INVALID' });
    const unknownTag = await call('POST', writer, '/v1/tags', { ...outdoorTwice, key: 'bad_tag', rule: { match: { tag: 'nope', op: 'exists' } } });
    expect(unknownTag.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_RULE_INVALID', unknownTags: ['nope'] });
    expect((await call('GET', reader, '/v1/tags/bad_field')).statusCode).toBe(404);
  });

  it('computes the built-in tags on request with tags:write, not tags:read', async () => {
    expect((await call('POST', reader, '/v1/tags/builtins/runs', {})).statusCode).toBe(403);
    const run = await call('POST', writer, '/v1/tags/builtins/runs', { lifecycle: { newDays: 7 } });
    expect(run.statusCode).toBe(200);
    expect(run.json()).toMatchObject({ persons: { rfm: 2, lifecycle: 3, clv: 2 } });
    // With new = first purchase within 7 days: person 0 (first 30 days ago) is active, person 1 (3 days) new.
    const stages = await call('GET', reader, '/v1/tags/lifecycle_stage/values');
    expect(stages.json().values.map((v: { value: unknown }) => v.value)).toEqual(['active', 'new', 'registered_no_purchase']);
    const invalid = await call('POST', writer, '/v1/tags/builtins/runs', { lifecycle: { sleepingDays: 500, churnedDays: 100 } });
    expect(invalid.json()).toMatchObject({ status: 400, code: 'ACCORD_ERR_VALIDATION', detail: expect.stringContaining('sleepingDays must be less than churnedDays') });
    expect((await call('POST', writer, '/v1/tags/rfm_segment/runs')).json()).toMatchObject({ status: 409, code: 'ACCORD_ERR_TAG_KIND' });
    expect((await call('POST', writer, '/v1/tags', { ...outdoorTwice, key: 'lifecycle_stage' })).json()).toMatchObject({ status: 409, code: 'ACCORD_ERR_CONFLICT' });
  });
});
