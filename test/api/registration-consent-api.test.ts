import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFirstPartyRegime } from '../../core/tenancy/first-party-regime.ts';
import type { JobRunner } from '../../core/jobs/job-runner.ts';
import { ingestEnded, startIngestRunner } from '../support/ingest-jobs.ts';
import { bearer, startTestApp, TEST_APP_MASTER_KEY, type TestApp } from '../support/test-app.ts';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';

/**
 * The example of docs/first-party/ingest.md, "Bringing members with their consents", run as written:
 * its notice, member file and batch. Only the registration times move to now, since a consent can
 * neither predate the notice (published by this test) nor lie in the future.
 */
function documentedExample(): { notice: object; csv: string; batch: object } {
  const doc = readFileSync(new URL('../../docs/first-party/ingest.md', import.meta.url), 'utf8');
  const section = doc.split('### Bringing members with their consents')[1]!.split('\n### ')[0]!;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 + 30_000).toISOString();
  const blocks = [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map(([, language, body]) => ({ language, body: body!.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00/g, now) }));
  const [notice, batch] = blocks.filter((block) => block.language === 'json').map((block) => JSON.parse(block.body) as object);
  return { notice: notice!, csv: blocks.find((block) => block.language === 'csv')!.body, batch: batch! };
}

describe.each(storageBackends)('members brought with their consents through the API on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let runner: JobRunner;

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    runner = await startIngestRunner('in-process', t, TEST_APP_MASTER_KEY);
  });
  afterAll(async () => {
    await runner.stop();
    await api.app.close();
    await t.dispose();
  });

  it('records the documented registration consents with the members, and profiles only those members under PIPL', async () => {
    const example = documentedExample();
    const { token, tenantId } = await api.keyFor('brand', ['admin']);
    const call = (url: string, payload: object | string, type = 'application/json') => api.app.inject({ method: 'POST', url, payload, headers: { ...bearer(token), 'content-type': type } });
    expect((await call('/v1/consent/notices', example.notice)).statusCode).toBe(201);
    const file = await ingestEnded(api.app, await call('/v1/ingest/members/files', example.csv, 'text/csv'), token);
    expect(file).toMatchObject({ status: 'completed', rowsRead: 2, applied: 2, rejected: 0 });
    const batch = await call('/v1/ingest/members/batch', example.batch);
    expect(batch.json()).toMatchObject({ status: 'completed', applied: 1 });

    const everyone = { rule: { attribute: 'member_id', op: 'exists' } };
    expect((await call('/v1/segments/estimate', everyone)).json()).toEqual({ members: 2 });
    const events = await api.app.inject({ method: 'GET', url: '/v1/consent/changes?after=0&limit=10', headers: bearer(token) });
    expect(events.json().changes.map((e: { subject: string; purpose: string; regime: string; kind: string }) => [e.subject.startsWith('person:'), e.purpose, e.regime, e.kind])).toEqual([
      [true, 'analytics.profiling', 'pipl', 'given'],
      [true, 'analytics.profiling', 'pipl', 'given'],
    ]);
    // The documented switch to an opt-out regime: silence now allows the third member too.
    await setFirstPartyRegime(t.db, tenantId, 'ccpa', 'test');
    expect((await call('/v1/segments/estimate', everyone)).json()).toEqual({ members: 3 });
  });
});
