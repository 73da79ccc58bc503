import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, storageBackends, type TestDatabase } from '../support/test-database.ts';
import { bearer, startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * JSON text of a leaf wrapped in `levels` combinators, alternating all / not from the outside in.
 * Written as text: JSON.stringify itself overflows the stack on the deeper ones.
 */
function nested(leaf: object, levels: number): string {
  const opening = Array.from({ length: levels }, (_, level) => (level % 2 === 0 ? '{"all":[' : '{"not":')).join('');
  const closing = Array.from({ length: levels }, (_, level) => (level % 2 === 0 ? ']}' : '}')).reverse().join('');
  return opening + JSON.stringify(leaf) + closing;
}

/** Arrays in arrays inside one combinator: depth without a combinator level. */
const nestedArrays = (leaf: object, levels: number) => `{"all":${'['.repeat(levels)}${JSON.stringify(leaf)}${']'.repeat(levels)}}`;

describe.each(storageBackends)('rule nesting and size bounds on %s', (backend) => {
  let t: TestDatabase;
  let api: TestApp;
  let token: string;
  /** `rule` is JSON text, spliced into the body as it is. */
  const post = (url: string, body: object, rule: string) =>
    api.app.inject({ method: 'POST', url, headers: { ...bearer(token), 'content-type': 'application/json' }, payload: JSON.stringify(body).replace('"RULE"', rule) });
  const city = { attribute: 'city', op: '=', value: 'Shanghai' };
  const hasVip = { tag: 'vip', op: 'exists' };
  const segmentCalls = (rule: string) =>
    Promise.all([
      post('/v1/segments/estimate', { rule: 'RULE' }, rule),
      post('/v1/segments/preview', { rule: 'RULE' }, rule),
      post('/v1/segments', { kind: 'static', name: 'deep', rule: 'RULE' }, rule),
      post('/v1/segments', { kind: 'dynamic', name: 'deep', rule: 'RULE' }, rule),
    ]);
  const tagCalls = (condition: string) =>
    Promise.all([
      post('/v1/tags', { key: 'deep_match', kind: 'rule', valueType: 'boolean', description: 'd', owner: 'o', rule: { match: 'RULE' } }, condition),
      post('/v1/tags', { key: 'deep_where', kind: 'rule', valueType: 'number', description: 'd', owner: 'o', rule: { number: { events: {} }, where: 'RULE' } }, condition),
    ]);

  beforeAll(async () => {
    t = await openTestDatabase(backend);
    api = await startTestApp(t);
    token = (await api.keyFor('brand', ['admin'])).token;
  });
  afterAll(async () => {
    await api.app.close();
    await t.dispose();
  });

  it.each([800, 5_000])('refuses a segment rule nested %i levels with a coded 422 that names the limit', async (levels) => {
    for (const response of await segmentCalls(nested(city, levels))) {
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_SEGMENT_RULE', detail: expect.stringMatching(/nests objects and arrays deeper than \d+ levels at rule\.all\.0\.not/) });
    }
  });

  it.each([800, 5_000])('refuses a rule tag whose condition is nested %i levels', async (levels) => {
    for (const response of await tagCalls(nested(hasVip, levels))) {
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ code: 'ACCORD_ERR_TAG_RULE_INVALID', detail: expect.stringMatching(/nests objects and arrays deeper than \d+ levels at rule\.(match|where)\.all\.0\.not/) });
    }
  });

  it('refuses arrays nested in arrays, which add depth without adding a combinator', async () => {
    for (const response of await segmentCalls(nestedArrays(city, 5_000))) expect(response.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_SEGMENT_RULE' });
    for (const response of await tagCalls(nestedArrays(hasVip, 5_000))) expect(response.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_RULE_INVALID' });
  });

  it('refuses an oversized rule before validating it, naming the limit', async () => {
    const long = { attribute: 'city', op: 'in', values: Array.from({ length: 100 }, (_, i) => `${i}`.padStart(480, 'x')) };
    const rule = { any: Array.from({ length: 6 }, () => long) };
    for (const response of await segmentCalls(JSON.stringify(rule))) {
      expect(response.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_SEGMENT_RULE', detail: expect.stringMatching(/rule is \d+ bytes of JSON; at most \d+ are allowed/) });
    }
    const tagRule = { any: Array.from({ length: 6 }, () => ({ tag: 'vip', op: 'in', values: long.values })) };
    for (const response of await tagCalls(JSON.stringify(tagRule))) {
      expect(response.json()).toMatchObject({ status: 422, code: 'ACCORD_ERR_TAG_RULE_INVALID', detail: expect.stringMatching(/rule is \d+ bytes of JSON; at most \d+ are allowed/) });
    }
  });

  it('still takes a rule at the deepest allowed nesting', async () => {
    const estimate = await post('/v1/segments/estimate', { rule: 'RULE' }, nested(city, 7));
    expect(estimate.json()).toEqual({ members: 0 });
  });
});
