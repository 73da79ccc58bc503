/**
 * Archiving tags and segments (issue 14): history kept, no longer listed by default nor computed;
 * archiving twice changes nothing; what does not exist is a 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentGate } from '../../core/consent/consent-gate.ts';
import { withTenant } from '../../core/db/tenant-scope.ts';
import { refreshSegmentJob } from '../../core/segments/refresh-segment-job.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

describe.each(storageBackends)('archiving tags and segments on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let token: string;
  let tenantId: string;
  const call = (method: 'GET' | 'POST', url: string, payload?: object) => api.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    const key = await api.keyFor('brand', ['admin']);
    token = key.token;
    tenantId = key.tenantId;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it('archives a tag: kept and readable, not listed by default, not run; twice is the same', async () => {
    expect((await call('POST', '/v1/tags', { kind: 'static', key: 'vip', valueType: 'boolean', description: 'VIP', owner: 'crm' })).statusCode).toBe(201);
    expect((await call('POST', '/v1/tags', { kind: 'sql', key: 'spenders', valueType: 'boolean', description: 'Spenders', owner: 'crm', query: 'select person_id, true as value from persons_v' })).statusCode).toBe(201);
    const archived = await call('POST', '/v1/tags/spenders/archive');
    expect(archived.statusCode).toBe(200);
    expect(archived.json().archivedAt).not.toBeNull();
    expect((await call('POST', '/v1/tags/spenders/archive')).json().archivedAt).toBe(archived.json().archivedAt);

    expect((await call('GET', '/v1/tags')).json().tags.map((tag: { key: string }) => tag.key)).toEqual(['vip']);
    expect((await call('GET', '/v1/tags?includeArchived=true')).json().tags.map((tag: { key: string }) => tag.key)).toEqual(['spenders', 'vip']);
    expect((await call('GET', '/v1/tags/spenders')).json().archivedAt).toBe(archived.json().archivedAt);
    const run = await call('POST', '/v1/tags/spenders/runs');
    expect(run.statusCode).toBe(409);
    expect(run.json().detail).toMatch(/archived/);
    expect((await call('POST', '/v1/tags/nothing/archive')).json().code).toBe('ACCORD_ERR_NOT_FOUND');
    expect((await call('GET', '/v1/tags?includeArchived=maybe')).json().code).toBe('ACCORD_ERR_VALIDATION');
  });

  it('archives a segment: kept and readable, not listed by default, not refreshed nor rescheduled', async () => {
    const rule = { attribute: 'city', op: '=', value: '上海' };
    const created = await call('POST', '/v1/segments', { kind: 'dynamic', name: 'Shanghai', rule, scheduleSeconds: 3600 });
    expect(created.statusCode).toBe(201);
    const id = created.json().segment.id as number;
    const kept = await call('POST', '/v1/segments', { kind: 'static', name: 'Kept', rule });

    const archived = await call('POST', `/v1/segments/${id}/archive`);
    expect(archived.json()).toMatchObject({ id, name: 'Shanghai', archivedAt: expect.any(String) });
    expect((await call('GET', '/v1/segments')).json().segments.map((s: { id: number }) => s.id)).toEqual([kept.json().segment.id]);
    expect((await call('GET', '/v1/segments?includeArchived=true')).json().segments.map((s: { id: number }) => s.id)).toEqual([id, kept.json().segment.id]);
    expect((await call('GET', `/v1/segments/${id}`)).json().archivedAt).toBe(archived.json().archivedAt);
    const refresh = await call('POST', `/v1/segments/${id}/refresh`);
    expect(refresh.statusCode).toBe(409);
    expect(refresh.json().detail).toMatch(/archived/);

    // The scheduled refresh queued at creation runs, refuses, and queues no next one.
    const queued = () => withTenant(t.db, tenantId, (trx) => trx.selectFrom('jobs').select(['id', 'status']).where('name', '=', 'segments.refresh').execute());
    const [job] = await queued();
    const processor = refreshSegmentJob(new ConsentGate());
    await expect(processor({ id: job!.id, payload: { segment: id }, inTenant: (work) => withTenant(t.db, tenantId, work) } as Parameters<typeof processor>[0])).rejects.toThrow(/archived/);
    expect((await queued()).length).toBe(1);
    expect((await call('POST', '/v1/segments/999999/archive')).json().code).toBe('ACCORD_ERR_NOT_FOUND');
  });
});
